/// <reference lib="dom" />
/**
 * A small history-API router: paths like `/units/:id` map to pages; same-origin link clicks
 * navigate without a reload. `matchPath` is pure.
 */
import type { ApiClient } from "./api/client.js";

export interface App {
  api: ApiClient;
  navigate(path: string): void;
  /** Renders the current route again (after a login, say). */
  rerender(): void;
}

/** A page draws into `root` and returns what to undo when it is left (timers, streams, charts). */
export type Page = (root: HTMLElement, params: Record<string, string>, app: App) => (() => void) | undefined;

export interface Route {
  pattern: string;
  page: Page;
}

/** `/units/:id` against `/units/u_1` → `{ id: "u_1" }`; null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.replace(/\/+$/, "").split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null; // a malformed %-escape is no id of ours
      }
    } else if (w !== g) return null;
  }
  return params;
}

export function resolveRoute(
  routes: readonly Route[],
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) return { route, params };
  }
  return null;
}

export function startRouter(opts: {
  root: HTMLElement;
  routes: readonly Route[];
  notFound: Page;
  api: ApiClient;
  /** Called before each render with the path, so the shell can adapt (no staff menu on passports). */
  onRoute?: (path: string) => void;
}): App {
  let cleanup: (() => void) | undefined;
  const app: App = {
    api: opts.api,
    navigate(path) {
      if (path !== location.pathname + location.search) history.pushState(null, "", path);
      render();
      window.scrollTo(0, 0);
    },
    rerender: () => render(),
  };

  function render() {
    cleanup?.();
    cleanup = undefined;
    const path = location.pathname;
    opts.onRoute?.(path);
    const hit = resolveRoute(opts.routes, path);
    opts.root.replaceChildren();
    cleanup = (hit ? hit.route.page : opts.notFound)(opts.root, hit?.params ?? {}, app) ?? undefined;
    // Move focus to the new page so screen readers announce it, as a full page load would.
    opts.root.focus({ preventScroll: true });
  }

  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey)
      return;
    const a = (ev.target as Element | null)?.closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    ev.preventDefault();
    app.navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => render());
  render();
  return app;
}
