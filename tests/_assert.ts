/**
 * std's assertion names over `node:assert/strict`: JSR is out of reach
 * here, and switching back to `@std/assert` is then one import-map entry.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

type ErrorClass = new (...args: never[]) => Error;

/** Deep, strict equality. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** `actual` matches `expected`. */
export function assertMatch(
  actual: string,
  expected: RegExp,
  message?: string,
): void {
  nodeAssert.match(actual, expected, message);
}

/** `condition` is truthy. */
export function assert(
  condition: unknown,
  message?: string,
): asserts condition {
  nodeAssert.ok(condition, message);
}

/** `fn` rejects, with an instance of `errorClass` whose message includes `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  errorClass?: ErrorClass,
  includes?: string,
): Promise<Error> {
  let caught: unknown = undefined;
  let rejected = false;
  try {
    await fn();
  } catch (error) {
    caught = error;
    rejected = true;
  }
  nodeAssert.ok(rejected, "Expected function to reject");
  return checkError(caught, errorClass, includes);
}

/** `fn` throws, with an instance of `errorClass` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  errorClass?: ErrorClass,
  includes?: string,
): Error {
  let caught: unknown = undefined;
  let threw = false;
  try {
    fn();
  } catch (error) {
    caught = error;
    threw = true;
  }
  nodeAssert.ok(threw, "Expected function to throw");
  return checkError(caught, errorClass, includes);
}

function checkError(
  caught: unknown,
  errorClass: ErrorClass | undefined,
  includes: string | undefined,
): Error {
  nodeAssert.ok(caught instanceof Error, `Expected an Error, got ${caught}`);
  if (errorClass) {
    nodeAssert.ok(
      caught instanceof errorClass,
      `Expected ${errorClass.name}, got ${caught.name}: ${caught.message}`,
    );
  }
  if (includes !== undefined) {
    nodeAssert.ok(
      caught.message.includes(includes),
      `Expected message to include "${includes}", got "${caught.message}"`,
    );
  }
  return caught;
}
