import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { Avatar } from "../components/Avatar";
import { ErrorState } from "../components/States";
import { COUNTRIES, LANGUAGES } from "../lib/codes";
import { countryName, languageName } from "../lib/format";
import { uploadFile } from "../lib/uploads";

export function MePage() {
  const { t } = useTranslation();
  const { user, setUser } = useAuth();
  const [progress, setProgress] = useState<number | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const profile = useMutation({
    mutationFn: async (body: { display_name?: string; bio?: string; avatar_upload_id?: string }) =>
      unwrap(await api.PATCH("/api/me", { body })),
    onSuccess: (me) => {
      setUser(me);
      setSaved("profile");
    },
  });
  const mentor = useMutation({
    mutationFn: async (body: {
      headline: string; bio: string; country: string; specialties: string[]; languages: string[]; years_experience: number; available: boolean;
    }) => unwrap(await api.PUT("/api/me/mentor-profile", { body })),
    onSuccess: (me) => {
      setUser(me);
      setSaved("mentor");
    },
  });
  if (!user) return null;
  const current = user.mentor;

  async function avatar(file: File) {
    setProgress(0);
    try {
      const id = await uploadFile(file, undefined, setProgress);
      profile.mutate({ avatar_upload_id: id });
    } finally {
      setProgress(null);
    }
  }

  function saveProfile(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    profile.mutate({ display_name: String(form.get("display_name")), bio: String(form.get("bio")) });
  }

  function saveMentor(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    mentor.mutate({
      headline: String(form.get("headline")),
      bio: String(form.get("mentor_bio")),
      country: String(form.get("country")),
      specialties: String(form.get("specialties")).split(",").map((s) => s.trim()).filter(Boolean),
      languages: form.getAll("languages").map(String),
      years_experience: Number(form.get("years")),
      available: form.get("available") === "on",
    });
  }

  return (
    <section className="page narrow">
      <h1>{t("me.title")}</h1>
      <div className="avatar-row">
        <Avatar name={user.display_name} url={user.avatar_url} size={80} />
        <label className="button button-secondary">
          {t("me.changeAvatar")}
          <input type="file" accept="image/*" hidden onChange={(event) => event.target.files?.[0] && void avatar(event.target.files[0])} />
        </label>
        {progress !== null && <progress max={1} value={progress} aria-label={t("me.avatar")} />}
      </div>
      <form className="form" onSubmit={saveProfile}>
        <label>
          {t("auth.displayName")}
          <input name="display_name" defaultValue={user.display_name} required maxLength={80} />
        </label>
        <label>
          {t("me.bio")}
          <textarea name="bio" defaultValue={user.bio} rows={3} maxLength={2000} />
        </label>
        {profile.isError && <ErrorState error={profile.error} />}
        <button type="submit" className="button">{saved === "profile" ? t("common.saved") : t("common.save")}</button>
      </form>
      <h2 className="section-title">{t("me.mentorTitle")}</h2>
      <p className="muted">{t("me.mentorHint")}</p>
      <form className="form" onSubmit={saveMentor}>
        <label>
          {t("me.headline")}
          <input name="headline" defaultValue={current?.headline ?? ""} required maxLength={120} />
        </label>
        <label>
          {t("me.bio")}
          <textarea name="mentor_bio" defaultValue={current?.bio ?? ""} rows={4} maxLength={4000} />
        </label>
        <label>
          {t("me.country")}
          <select name="country" defaultValue={current?.country ?? ""} required>
            <option value="" disabled>—</option>
            {COUNTRIES.map((code) => [code, countryName(code)] as const)
              .sort((a, b) => a[1].localeCompare(b[1]))
              .map(([code, name]) => <option key={code} value={code}>{name}</option>)}
          </select>
        </label>
        <label>
          {t("me.specialties")}
          <input name="specialties" defaultValue={current?.specialties.join(", ") ?? ""} required />
        </label>
        <label>
          {t("me.languages")}
          <select name="languages" multiple size={5} defaultValue={current?.languages ?? []} required>
            {LANGUAGES.map((code) => [code, languageName(code)] as const)
              .sort((a, b) => a[1].localeCompare(b[1]))
              .map(([code, name]) => <option key={code} value={code}>{name}</option>)}
          </select>
        </label>
        <label>
          {t("me.years")}
          <input name="years" type="number" min={0} max={80} defaultValue={current?.years_experience ?? 0} required />
        </label>
        <label className="check">
          <input name="available" type="checkbox" defaultChecked={current?.available ?? true} /> {t("me.available")}
        </label>
        {mentor.isError && <ErrorState error={mentor.error} />}
        <button type="submit" className="button">{saved === "mentor" ? t("common.saved") : t("me.saveMentor")}</button>
      </form>
    </section>
  );
}
