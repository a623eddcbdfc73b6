/**
 * The HTTP/1.x pieces `sockit get` is built from: a URL parser, a GET
 * request writer, and an incremental response parser that does no I/O.
 *
 * @example Build a request and parse a response
 * ```ts
 * import { formatGetRequest, HttpResponseParser, parseHttpUrl } from "@sockit/sockit";
 *
 * const request = formatGetRequest(parseHttpUrl("http://localhost:8080/"));
 * const parser = new HttpResponseParser();
 * parser.push(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n"));
 * console.log(request.length > 0, parser.head?.status, parser.done); // true 204 true
 * ```
 *
 * @module
 */
export {
  basicAuthorization,
  formatGetRequest,
  type GetRequestOptions,
  type HttpTarget,
  parseHeaderLine,
  parseHttpUrl,
  targetOf,
} from "./request.ts";
export {
  type BodyFraming,
  HttpParseError,
  type HttpResponseHead,
  HttpResponseParser,
  type HttpResponseParserOptions,
} from "./response_parser.ts";
