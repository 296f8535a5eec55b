/// <reference lib="dom" />
/** The dashboard's entry: the API client, the token box, the routes and the page shell. */
import { createApiClient, localTokenStore } from "./api/client.js";
import { createLogin } from "./components/login.js";
import { alertsPage } from "./pages/alerts.js";
import { batchPage } from "./pages/batch.js";
import { deadLettersPage } from "./pages/deadletters.js";
import { notFoundPage } from "./pages/not-found.js";
import { passportPage } from "./pages/passport.js";
import { unitPage } from "./pages/unit.js";
import { unitsPage } from "./pages/units.js";
import { type App, type Route, startRouter } from "./router.js";

const routes: Route[] = [
  { pattern: "/", page: unitsPage },
  { pattern: "/units/:id", page: unitPage },
  { pattern: "/batches/:id", page: batchPage },
  { pattern: "/p/:code", page: passportPage },
  { pattern: "/alerts", page: alertsPage },
  { pattern: "/deadletters", page: deadLettersPage },
];

const isPublic = (path: string) => path.startsWith("/p/");

function boot() {
  const root = document.getElementById("main") as HTMLElement;
  const nav = document.getElementById("staff-nav") as HTMLElement;
  const brand = document.getElementById("brand") as HTMLAnchorElement;
  let app: App | null = null;
  // The token box checks tokens with the client, and the client opens the box on a 401.
  const login = createLogin(
    (t) => api.checkToken(t),
    localTokenStore,
    () => app?.rerender(),
  );
  const api = createApiClient({
    tokens: localTokenStore,
    onUnauthorized: () => {
      // Recipients on a passport never see the staff sign-in.
      if (!isPublic(location.pathname))
        login.show(localTokenStore.get() ? "The server did not accept the saved token." : undefined);
    },
  });

  document.getElementById("sign-out")?.addEventListener("click", () => {
    localTokenStore.clear();
    app?.rerender();
  });

  app = startRouter({
    root,
    routes,
    notFound: notFoundPage,
    api,
    onRoute(path) {
      const pub = isPublic(path);
      // Recipients get no staff menu and no link into the staff pages.
      nav.hidden = pub;
      if (pub) brand.removeAttribute("href");
      else brand.setAttribute("href", "/");
      for (const a of Array.from(nav.querySelectorAll("a"))) {
        const href = a.getAttribute("href") ?? "";
        const current = href === "/" ? path === "/" || path.startsWith("/units/") : path.startsWith(href);
        if (current) a.setAttribute("aria-current", "page");
        else a.removeAttribute("aria-current");
      }
    },
  });
}

boot();
