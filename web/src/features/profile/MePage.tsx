import { useMutation } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import type { MentorProfileInput, ProfileUpdate } from "../../api/types";
import { useAuth } from "../auth/AuthContext";
import { Avatar } from "../../components/Avatar";
import { SignOutButton } from "../auth/SignOutButton";
import { ErrorState } from "../../components/States";
import { CountryOptions } from "../../components/CodeOptions";
import { LanguagePicker } from "./LanguagePicker";
import { useAction } from "../../lib/hooks";
import { uploadFile } from "../../lib/uploads";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { AvailabilityEditor } from "../mentorships/AvailabilityEditor";

export function MePage() {
  const { t } = useTranslation();
  const { user, setUser } = useAuth();
  const [progress, setProgress] = useState<number | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const upload = useAction(); // the photo's bytes on their way to storage
  const profile = useMutation({
    mutationFn: async (body: ProfileUpdate) => unwrap(await api.PATCH("/api/me", { body })),
    onSuccess: (me) => {
      setUser(me);
      setSaved("profile");
    },
  });
  const mentor = useMutation({
    mutationFn: async (body: MentorProfileInput) => unwrap(await api.PUT("/api/me/mentor-profile", { body })),
    onSuccess: (me) => {
      setUser(me);
      setSaved("mentor");
    },
  });
  if (!user) return null;
  const current = user.mentor;

  async function avatar(file: File) {
    setProgress(0);
    await upload.run(async () => {
      profile.mutate({ avatar_upload_id: await uploadFile(file, undefined, setProgress) });
    });
    setProgress(null);
  }

  function saveProfile(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    profile.mutate({ display_name: fieldText(form, "display_name"), bio: fieldText(form, "bio") });
  }

  function saveMentor(event: FormSubmit) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    mentor.mutate({
      headline: fieldText(form, "headline"),
      bio: fieldText(form, "mentor_bio"),
      country: fieldText(form, "country"),
      specialties: fieldText(form, "specialties")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      languages: form.getAll("languages").map(String),
      years_experience: Number(form.get("years")),
      available: form.get("available") === "on",
      max_mentees: Number(form.get("max_mentees")),
      meeting_url: fieldText(form, "meeting_url") || null,
    });
  }

  return (
    <section className="page narrow">
      <h1>{t("me.title")}</h1>
      <p>
        <Link to="/settings">{t("settings.link")}</Link>
      </p>
      <div className="avatar-row">
        <Avatar name={user.display_name} url={user.avatar_url} size={80} />
        <button type="button" className="button button-secondary" onClick={() => picker.current?.click()}>
          {t("me.changeAvatar")}
        </button>
        <input
          ref={picker}
          type="file"
          accept="image/*"
          hidden
          data-testid="avatar-input"
          onChange={(event) => event.target.files?.[0] && void avatar(event.target.files[0])}
        />
        {progress !== null && <progress max={1} value={progress} aria-label={t("me.avatar")} />}
        {upload.error && <ErrorState error={upload.error} />}
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
        <button type="submit" className="button">
          {saved === "profile" ? t("common.saved") : t("common.save")}
        </button>
      </form>
      <h2 className="section-title">{t("me.mentorTitle")}</h2>
      <p className="muted">{t("me.mentorHint")}</p>
      <form className="form" onSubmit={saveMentor}>
        <label>
          {t("me.headline")}
          <input name="headline" defaultValue={current?.headline ?? ""} required maxLength={120} />
        </label>
        <label>
          {t("me.mentorBio")}
          <textarea name="mentor_bio" defaultValue={current?.bio ?? ""} rows={4} maxLength={4000} />
        </label>
        <label>
          {t("me.country")}
          <select name="country" defaultValue={current?.country ?? ""} required>
            <option value="" disabled>
              —
            </option>
            <CountryOptions selected={current?.country} />
          </select>
        </label>
        <label>
          {t("me.specialties")}
          <input name="specialties" defaultValue={current?.specialties.join(", ") ?? ""} required />
        </label>
        <LanguagePicker name="languages" label={t("me.languages")} defaultValue={current?.languages ?? []} required />
        <label>
          {t("me.years")}
          <input name="years" type="number" min={0} max={80} defaultValue={current?.years_experience ?? 0} required />
        </label>
        <label className="check">
          <input name="available" type="checkbox" defaultChecked={current?.available ?? true} /> {t("me.available")}
        </label>
        <label>
          {t("me.maxMentees")}
          <input name="max_mentees" type="number" min={1} max={50} defaultValue={current?.max_mentees ?? 3} required />
        </label>
        <label>
          {t("me.meetingUrl")}
          <input
            name="meeting_url"
            type="url"
            pattern="https://.*"
            maxLength={500}
            placeholder="https://meet.example.com/you"
            defaultValue={current?.meeting_url ?? ""}
          />
        </label>
        {mentor.isError && <ErrorState error={mentor.error} />}
        <button type="submit" className="button">
          {saved === "mentor" ? t("common.saved") : t("me.saveMentor")}
        </button>
      </form>
      {current && <AvailabilityEditor />}
      <div className="sign-out-row">
        <span className="muted">{user.email}</span>
        <SignOutButton className="button button-secondary" />
      </div>
    </section>
  );
}
