// The WebSocket frames of docs/api.md, generated with the REST types from the server's own
// schemas (models/frames.py, in the OpenAPI document): nothing here is written by hand.
import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type ServerFrame = Schemas["ServerFrame"];
export type ClientFrame = Schemas["ClientFrame"];

export type FrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;
