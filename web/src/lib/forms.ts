// What the forms of the app share.
import type { SyntheticEvent } from "react";

/** A form's submit event. */
export type FormSubmit = SyntheticEvent<HTMLFormElement, SubmitEvent>;

/** The text a form field holds ("" when it is absent, or a file). */
export function fieldText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}
