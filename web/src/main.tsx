import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, Navigate, RouterProvider } from "react-router";
import { ApiError } from "./api/client";
import { AuthProvider } from "./auth/AuthContext";
import { AppShell } from "./components/AppShell";
import { RequireAuth } from "./components/RequireAuth";
import "./i18n";
import { LoginPage, NotFoundPage, RegisterPage } from "./pages/AuthPages";
import { ChatPage } from "./pages/ChatPage";
import { MePage } from "./pages/MePage";
import { MentorProfilePage } from "./pages/MentorProfilePage";
import { MentorsPage } from "./pages/MentorsPage";
import { NewQuestionPage } from "./pages/NewQuestionPage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { QuestionPage } from "./pages/QuestionPage";
import { QuestionsPage } from "./pages/QuestionsPage";
import { RealtimeProvider } from "./realtime/RealtimeContext";
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

const guarded = (page: React.ReactNode) => <RequireAuth>{page}</RequireAuth>;

const router = createBrowserRouter([
  {
    element: <AppShell />,
    children: [
      { path: "/", element: <Navigate to="/mentors" replace /> },
      { path: "/login", element: <LoginPage /> },
      { path: "/register", element: <RegisterPage /> },
      { path: "/mentors", element: <MentorsPage /> },
      { path: "/mentors/:id", element: <MentorProfilePage /> },
      { path: "/chat", element: guarded(<ChatPage />) },
      { path: "/chat/:id", element: guarded(<ChatPage />) },
      { path: "/chat/to/:userId", element: guarded(<ChatPage />) },
      { path: "/questions", element: <QuestionsPage /> },
      { path: "/questions/new", element: guarded(<NewQuestionPage />) },
      { path: "/questions/:id", element: <QuestionPage /> },
      { path: "/notifications", element: guarded(<NotificationsPage />) },
      { path: "/me", element: guarded(<MePage />) },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);

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
