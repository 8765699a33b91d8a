// Web Push on this device: the service worker, the browser's permission, the subscription.
import { api, unwrap } from "../../api/client";

export type PushState = "unsupported" | "denied" | "off" | "on";

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** Registers the service worker (app shell and pushes); harmless to call again. */
export async function registerWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!("serviceWorker" in navigator)) return null;
  try {
    return await navigator.serviceWorker.register("/sw.js");
  } catch {
    return null; // not on HTTPS or localhost: the app works without it
  }
}

export async function pushState(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "denied";
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  return subscription && Notification.permission === "granted" ? "on" : "off";
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Asks the browser for permission (only now: the user pressed the button), subscribes this
 * device with the server's key, and registers the subscription. */
export async function turnPushOn(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission === "denied" ? "denied" : "off";
  const registration = (await registerWorker()) ?? (await navigator.serviceWorker.ready);
  const { public_key } = unwrap(await api.GET("/api/push/public-key"));
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(public_key),
  });
  const json = subscription.toJSON();
  unwrap(
    await api.POST("/api/push/subscriptions", {
      body: { endpoint: json.endpoint ?? "", keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" } },
    }),
  );
  return "on";
}

/** Stops pushes to this device: unsubscribes it here and on the server. */
export async function turnPushOff(): Promise<PushState> {
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  if (subscription) {
    const mine = unwrap(await api.GET("/api/push/subscriptions")).results;
    const stored = mine.find((item) => item.endpoint === subscription.endpoint);
    if (stored) {
      await api.DELETE("/api/push/subscriptions/{subscription_id}", {
        params: { path: { subscription_id: stored.id } },
      });
    }
    await subscription.unsubscribe();
  }
  return "off";
}
