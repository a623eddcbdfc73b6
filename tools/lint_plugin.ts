/**
 * Project lint rules that `deno lint` has no built-in rule for.
 *
 * @module
 */

/** Named exports only: a default export hides the name a reader greps for. */
const plugin: Deno.lint.Plugin = {
  name: "sockit",
  rules: {
    "no-default-export": {
      create(context) {
        return {
          ExportDefaultDeclaration(node) {
            context.report({
              node,
              message: "Use a named export instead of a default export",
            });
          },
        };
      },
    },
  },
};

// Deno loads a lint plugin through its default export, the one place we allow.
// deno-lint-ignore sockit/no-default-export
export default plugin;
