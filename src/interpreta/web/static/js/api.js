// A fetch wrapper for the JSON API. Errors come back as RFC 9457 problem documents
// (application/problem+json: {type, title, status, detail, errors: [{field, message}]});
// they are thrown as ApiError so callers can show them next to the fields.

import { _ } from "./i18n.js";

/** An API call that failed, with its problem document. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{title?: string, detail?: string, errors?: {field: string, message: string}[]}} problem
   */
  constructor(status, problem) {
    super(problem.detail || problem.title || _("Request failed (%(status)s)", { status }));
    this.name = "ApiError";
    this.status = status;
    this.title = problem.title || _("Something went wrong");
    this.detail = problem.detail || "";
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/**
 * Call the API: JSON in, JSON out (null for 204). Throws ApiError on failure.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json, application/problem+json" },
  };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, {
      title: _("No connection"),
      detail: _("We could not reach the server. Check your connection and try again."),
    });
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const isJson = type.includes("json");
  const data = isJson ? await response.json().catch(() => ({})) : {};
  if (!response.ok) {
    if (response.status === 401 && !data.detail) data.detail = _("Sign in again to continue.");
    throw new ApiError(response.status, data);
  }
  return data;
}
