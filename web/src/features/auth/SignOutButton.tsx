import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { useAuth } from "./AuthContext";

/** Ends the login and goes to the sign-in page. */
export function SignOutButton({ className }: { className: string }) {
  const { t } = useTranslation();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  return (
    <button
      type="button"
      className={className}
      onClick={() => {
        void signOut().then(() => navigate("/login"));
      }}
    >
      {t("nav.logout")}
    </button>
  );
}
