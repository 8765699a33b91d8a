// Hypee's service worker: the app shell offline, and the pushes the server sends.
//
// - Pages (navigations) come from the network, and from the last copy kept when it fails, so
//   the installed app opens without a connection. Vite's hashed files (/assets/) never change:
//   they come from the cache once fetched. Nothing else is touched: the API, sockets and files
//   always go to the network.
// - A push shows a notification (one per tag: a newer one for the same conversation replaces
//   the older); clicking it focuses a window of the app on its page, or opens one.
// The handlers are plain functions of (event, worker) so the unit tests can call them
// (src/sw.test.ts).

const SHELL = "hypee-shell-v1";
const ASSETS = "hypee-assets-v1";
const SHELL_PAGE = "/mentors";

function isAsset(url) {
  return url.pathname.startsWith("/assets/");
}

async function onInstall(worker) {
  const cache = await worker.caches.open(SHELL);
  await cache.add(new Request(SHELL_PAGE, { cache: "reload" }));
  await worker.skipWaiting();
}

async function onActivate(worker) {
  const names = await worker.caches.keys();
  await Promise.all(
    names.filter((name) => name !== SHELL && name !== ASSETS).map((name) => worker.caches.delete(name)),
  );
  await worker.clients.claim();
}

async function fromNetworkElseShell(request, worker) {
  try {
    const answer = await worker.fetch(request);
    if (answer.ok) {
      const cache = await worker.caches.open(SHELL);
      await cache.put(SHELL_PAGE, answer.clone());
    }
    return answer;
  } catch (error) {
    const kept = await worker.caches.match(SHELL_PAGE);
    if (kept) return kept;
    throw error;
  }
}

async function fromCacheElseNetwork(request, worker) {
  const kept = await worker.caches.match(request);
  if (kept) return kept;
  const answer = await worker.fetch(request);
  if (answer.ok) {
    const cache = await worker.caches.open(ASSETS);
    await cache.put(request, answer.clone());
  }
  return answer;
}

/** The answer for a fetch the worker takes, or null to leave it to the browser. */
function onFetch(event, worker) {
  const request = event.request;
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin) return null;
  if (request.mode === "navigate") return fromNetworkElseShell(request, worker);
  if (isAsset(url)) return fromCacheElseNetwork(request, worker);
  return null;
}

function pushData(event) {
  try {
    return event.data ? event.data.json() : {};
  } catch {
    return { body: event.data ? event.data.text() : "" };
  }
}

function onPush(event, worker) {
  const data = pushData(event);
  const url = typeof data.url === "string" && data.url.startsWith("/") ? data.url : "/notifications";
  return worker.registration.showNotification(data.title || "Hypee", {
    body: data.body || "",
    tag: data.tag || url,
    renotify: Boolean(data.tag),
    icon: "/icon-192.png",
    badge: "/icon-192.png",
    data: { url },
  });
}

async function onNotificationClick(event, worker) {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || "/notifications";
  const target = new URL(path, worker.location.origin).href;
  const windows = await worker.clients.matchAll({ type: "window", includeUncontrolled: true });
  const exact = windows.find((client) => client.url === target);
  if (exact) return exact.focus();
  const ours = windows.find((client) => new URL(client.url).origin === worker.location.origin);
  if (ours) {
    await ours.focus();
    return ours.navigate(target);
  }
  return worker.clients.openWindow(target);
}

self.addEventListener("install", (event) => event.waitUntil(onInstall(self)));
self.addEventListener("activate", (event) => event.waitUntil(onActivate(self)));
self.addEventListener("fetch", (event) => {
  const answer = onFetch(event, self);
  if (answer) event.respondWith(answer);
});
self.addEventListener("push", (event) => event.waitUntil(onPush(event, self)));
self.addEventListener("notificationclick", (event) => event.waitUntil(onNotificationClick(event, self)));
