/// <reference lib="dom" />
/** The dashboard's entry: the API client, the sign-in box, the routes and the page shell. */
import { createApiClient, localTokenStore } from "./api/client.js";
import type { Me } from "./api/types.js";
import { createAlertFeed } from "./components/alert-feed.js";
import { createLogin } from "./components/login.js";
import { alertsPage } from "./pages/alerts.js";
import { batchPage } from "./pages/batch.js";
import { batchMovePage } from "./pages/batch-move.js";
import { batchesPage } from "./pages/batches.js";
import { deadLettersPage } from "./pages/deadletters.js";
import { invitePage } from "./pages/invite.js";
import { labelPage, labelSheetPage } from "./pages/labels.js";
import { notFoundPage } from "./pages/not-found.js";
import { notificationsPage } from "./pages/notifications.js";
import { passportPage } from "./pages/passport.js";
import { passportEntryPage } from "./pages/passport-entry.js";
import { scanPage } from "./pages/scan.js";
import { unitPage } from "./pages/unit.js";
import { unitsPage } from "./pages/units.js";
import { type App, type Route, startRouter } from "./router.js";

const routes = (feed: ReturnType<typeof createAlertFeed>): Route[] => [
  { pattern: "/", page: unitsPage },
  { pattern: "/units/:id", page: unitPage },
  { pattern: "/batches", page: batchesPage },
  { pattern: "/batches/:id", page: batchPage },
  { pattern: "/batches/:id/label", page: labelPage },
  { pattern: "/batches/:id/move", page: batchMovePage },
  { pattern: "/scan", page: scanPage },
  { pattern: "/labels", page: labelSheetPage },
  { pattern: "/p", page: passportEntryPage },
  { pattern: "/p/:code", page: passportPage },
  { pattern: "/alerts", page: alertsPage(feed) },
  { pattern: "/deadletters", page: deadLettersPage },
  { pattern: "/settings/notifications", page: notificationsPage },
  { pattern: "/invite", page: invitePage },
];

/** Pages for people who are not signed in: passports (recipients) and invitation links. */
const isPublic = (path: string) =>
  path === "/p" || path === "/p/" || path.startsWith("/p/") || path === "/invite";

const ROLE_WORDS: Record<Me["account"]["role"], string> = {
  donor: "donor",
  staff: "milk-bank staff",
  admin: "admin",
};

function boot() {
  const root = document.getElementById("main") as HTMLElement;
  const nav = document.getElementById("staff-nav") as HTMLElement;
  const brand = document.getElementById("brand") as HTMLAnchorElement;
  const who = document.getElementById("who") as HTMLElement;
  let app: App | null = null;
  /** The signed-in person's name and role in the header (and the session's CSRF token). */
  async function showWho() {
    const r = await api.me();
    // A donor's batch list is hers alone.
    const batchesLink = document.getElementById("nav-batches");
    if (batchesLink)
      batchesLink.textContent = r.ok && r.value.account.role === "donor" ? "My batches" : "Batches";
    // A donor's alerts page lists only her own: the menu says so.
    const alertsLink = nav.querySelector<HTMLAnchorElement>('a[href="/alerts"]');
    if (alertsLink)
      alertsLink.textContent = r.ok && r.value.account.role === "donor" ? "My alerts" : "Alerts";
    who.textContent = r.ok
      ? `${r.value.account.name} · ${r.value.via === "session" ? ROLE_WORDS[r.value.account.role] : `${ROLE_WORDS[r.value.account.role]} (token)`}`
      : "";
  }
  // The sign-in box signs in with the client, and the client opens the box on a 401.
  const login = createLogin(
    { signIn: (email, password) => api.signIn(email, password), checkToken: (t) => api.checkToken(t) },
    localTokenStore,
    () => {
      void showWho();
      feed.restart();
      app?.rerender();
    },
  );
  const api = createApiClient({
    tokens: localTokenStore,
    onUnauthorized: () => {
      // Recipients on a passport never see the staff sign-in.
      if (!isPublic(location.pathname))
        login.show(localTokenStore.get() ? "The server did not accept the saved token." : undefined);
    },
  });

  const feed = createAlertFeed(api);

  document.getElementById("sign-out")?.addEventListener("click", async () => {
    await api.signOut();
    who.textContent = "";
    feed.restart();
    app?.rerender();
  });

  app = startRouter({
    root,
    routes: routes(feed),
    notFound: notFoundPage,
    api,
    onRoute(path) {
      const pub = isPublic(path);
      // Recipients get no staff menu and no link into the staff pages.
      nav.hidden = pub;
      // The open-alert count in the tab title and new-alert notifications, on staff pages only.
      feed.setActive(!pub);
      if (!pub && !who.textContent) void showWho();
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
