import { describe, expect, it } from "vitest";
import { matchPath, type Page, resolveRoute } from "./router.js";

describe("matchPath", () => {
  it("matches literal and parameter segments, ignoring a trailing slash", () => {
    expect(matchPath("/", "/")).toEqual({});
    expect(matchPath("/units/:id", "/units/u_1")).toEqual({ id: "u_1" });
    expect(matchPath("/units/:id", "/units/u_1/")).toEqual({ id: "u_1" });
    expect(matchPath("/p/:code", "/p/AB%2012")).toEqual({ code: "AB 12" });
  });

  it("refuses other shapes and bad escapes", () => {
    expect(matchPath("/units/:id", "/units")).toBeNull();
    expect(matchPath("/units/:id", "/units/u_1/readings")).toBeNull();
    expect(matchPath("/units/:id", "/batches/b_1")).toBeNull();
    expect(matchPath("/p/:code", "/p/%E0%A4%A")).toBeNull();
    expect(matchPath("/", "/alerts")).toBeNull();
  });

  it("takes the first matching route", () => {
    const page: Page = () => undefined;
    const routes = [
      { pattern: "/alerts", page },
      { pattern: "/:anything", page },
    ];
    expect(resolveRoute(routes, "/alerts")?.route.pattern).toBe("/alerts");
    expect(resolveRoute(routes, "/other")?.params).toEqual({ anything: "other" });
    expect(resolveRoute(routes, "/a/b")).toBeNull();
  });
});
