// Names for the generated API types (src/api/schema.d.ts, from the server's OpenAPI document).
import type { components } from "./schema";

type Schemas = components["schemas"];
export type Message = Schemas["Message"];
export type Conversation = Schemas["Conversation"];
export type PublicUser = Schemas["PublicUser"];
export type PrivateUser = Schemas["PrivateUser"];
export type MentorProfile = Schemas["MentorProfile"];
export type Question = Schemas["Question"];
export type QuestionDetail = Schemas["QuestionDetail"];
export type Answer = Schemas["Answer"];
export type Notification = Schemas["Notification"];
export type Attachment = Schemas["Attachment"];
export type UploadTicket = Schemas["UploadTicket"];
export type ApiErrorBody = Schemas["Error"];
export type ProfileUpdate = Schemas["ProfileUpdate"];
export type MentorProfileInput = Schemas["MentorProfile"];
export type NewQuestion = Schemas["NewQuestion"];
export type MarkRead = Schemas["MarkRead"];
export type Registration = Schemas["Register"];
export type NotificationSettings = Schemas["NotificationSettingsView"];
export type NotificationSettingsUpdate = Schemas["NotificationSettings"];
