import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, Navigate, RouterProvider, type RouteObject } from "react-router";
import { ApiError } from "./api/client";
import { AuthProvider } from "./features/auth/AuthContext";
import { AppShell } from "./components/AppShell";
import { RequireAuth } from "./features/auth/RequireAuth";
import "./i18n";
import { LoginPage, NotFoundPage, RegisterPage } from "./features/auth/AuthPages";
import { MentorsPage } from "./features/directory/MentorsPage";
import { RealtimeProvider } from "./realtime/RealtimeContext";
import { registerWorker } from "./features/account/push";
import "./styles.css";

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // The API's 4xx answers are final; network failures and 5xx are worth another try.
      retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
});

/** A page loaded when first visited (the directory, where visits start, comes with the app). */
function page(load: () => Promise<React.ComponentType>, signedIn = false): RouteObject["lazy"] {
  return async () => {
    const Page = await load();
    return {
      element: signedIn ? (
        <RequireAuth>
          <Page />
        </RequireAuth>
      ) : (
        <Page />
      ),
    };
  };
}

const accountLinks = () => import("./features/account/AccountLinkPages");

const router = createBrowserRouter([
  {
    element: <AppShell />,
    children: [
      { path: "/", element: <Navigate to="/mentors" replace /> },
      { path: "/login", element: <LoginPage /> },
      { path: "/register", element: <RegisterPage /> },
      { path: "/mentors", element: <MentorsPage /> },
      {
        path: "/mentors/:id",
        lazy: page(async () => (await import("./features/directory/MentorProfilePage")).MentorProfilePage),
      },
      { path: "/chat", lazy: page(async () => (await import("./features/chat/ChatPage")).ChatPage, true) },
      { path: "/chat/:id", lazy: page(async () => (await import("./features/chat/ChatPage")).ChatPage, true) },
      { path: "/chat/to/:userId", lazy: page(async () => (await import("./features/chat/ChatPage")).ChatPage, true) },
      {
        path: "/mentorships",
        lazy: page(async () => (await import("./features/mentorships/MentorshipsPage")).MentorshipsPage, true),
      },
      {
        path: "/mentorships/:id",
        lazy: page(async () => (await import("./features/mentorships/MentorshipPage")).MentorshipPage, true),
      },
      { path: "/questions", lazy: page(async () => (await import("./features/forum/QuestionsPage")).QuestionsPage) },
      {
        path: "/questions/new",
        lazy: page(async () => (await import("./features/forum/NewQuestionPage")).NewQuestionPage, true),
      },
      { path: "/questions/:id", lazy: page(async () => (await import("./features/forum/QuestionPage")).QuestionPage) },
      {
        path: "/notifications",
        lazy: page(async () => (await import("./features/notifications/NotificationsPage")).NotificationsPage, true),
      },
      { path: "/me", lazy: page(async () => (await import("./features/profile/MePage")).MePage, true) },
      {
        path: "/settings",
        lazy: page(async () => (await import("./features/account/SettingsPage")).SettingsPage, true),
      },
      {
        path: "/moderation",
        lazy: page(async () => (await import("./features/moderation/ModerationPage")).ModerationPage, true),
      },
      { path: "/forgot-password", lazy: page(async () => (await accountLinks()).ForgotPasswordPage) },
      { path: "/reset-password", lazy: page(async () => (await accountLinks()).ResetPasswordPage) },
      { path: "/verify-email", lazy: page(async () => (await accountLinks()).VerifyEmailPage) },
      { path: "/unsubscribe", lazy: page(async () => (await accountLinks()).UnsubscribePage) },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);

// The service worker keeps the app shell for offline starts and shows pushes; asking for
// permission to notify waits for the user's own click in Settings.
void registerWorker();

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <AuthProvider>
        <RealtimeProvider>
          <RouterProvider router={router} />
        </RealtimeProvider>
      </AuthProvider>
    </QueryClientProvider>
  </StrictMode>,
);
