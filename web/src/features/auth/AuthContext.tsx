/**
 * Who is signed in. A reload signs the user back in from the refresh cookie; when the login
 * ends (refresh refused) the app goes to /login and remembers where the user was.
 */
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, unwrap } from "../../api/client";
import { mayBeSignedIn, onSessionChange, refresh, setToken, signingOut } from "../../api/session";
import type { PrivateUser, Registration } from "../../api/types";
import { markFirstRun } from "../../lib/firstRun";
import { adoptBrowserSettings } from "../account/queries";
import i18n from "i18next";

type Status = "loading" | "signed-in" | "signed-out";

interface Auth {
  status: Status;
  user: PrivateUser | null;
  signIn: (email: string, password: string) => Promise<void>;
  register: (body: Registration) => Promise<void>;
  signOut: () => Promise<void>;
  setUser: (user: PrivateUser) => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>("loading");
  const [user, setUser] = useState<PrivateUser | null>(null);
  const queries = useQueryClient();

  useEffect(() => {
    const mounted = { still: true };
    void (async () => {
      try {
        if (mayBeSignedIn() && (await refresh()) === "refreshed") {
          const me = unwrap(await api.GET("/api/me"));
          if (mounted.still) {
            setUser(me);
            setStatus("signed-in");
            return;
          }
        }
      } catch {
        // No connection: treated as signed out; signing in again works once it is back.
      }
      if (mounted.still) setStatus("signed-out");
    })();
    const unsubscribe = onSessionChange((signedIn) => {
      if (!signedIn) {
        setUser(null);
        setStatus("signed-out");
      }
    });
    return () => {
      mounted.still = false;
      unsubscribe();
    };
  }, []);

  const signedIn = useCallback((access: string, who: PrivateUser) => {
    setToken(access);
    setUser(who);
    setStatus("signed-in");
  }, []);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const result = unwrap(await api.POST("/api/auth/login", { body: { email, password } }));
      signedIn(result.access, result.user);
    },
    [signedIn],
  );

  const register = useCallback<Auth["register"]>(
    async (body) => {
      const result = unwrap(await api.POST("/api/auth/register", { body }));
      markFirstRun(result.user.id);
      signedIn(result.access, result.user);
      // A new account starts with this browser's time zone and language for its emails.
      void adoptBrowserSettings(i18n.language).catch(() => undefined);
    },
    [signedIn],
  );

  const signOut = useCallback(async () => {
    signingOut(); // the socket closes now: the server's 4401 at logout must not look like an expiry
    await queries.cancelQueries();
    try {
      await api.POST("/api/auth/logout", { body: {} });
    } catch {
      // No connection: signed out here all the same (the login then just expires).
    }
    setToken(null);
    queries.clear();
  }, [queries]);

  const value = useMemo(
    () => ({ status, user, signIn, register, signOut, setUser }),
    [status, user, signIn, register, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
