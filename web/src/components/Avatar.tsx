interface Props {
  name: string;
  url?: string | null;
  size?: number;
  online?: boolean;
}

const COLORS = ["#4f46e5", "#0891b2", "#059669", "#d97706", "#db2777", "#7c3aed", "#2563eb"];

/** A person's photo, or their initials on a color of their own; a dot when online. */
export function Avatar({ name, url, size = 40, online }: Props) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() ?? "")
    .join("");
  const color = COLORS[[...name].reduce((sum, c) => sum + c.charCodeAt(0), 0) % COLORS.length];
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.4 }}>
      {url ? (
        <img src={url} alt="" width={size} height={size} loading="lazy" />
      ) : (
        <span className="avatar-initials" style={{ background: color }} aria-hidden="true">
          {initials || "?"}
        </span>
      )}
      {online !== undefined && (
        <span className={online ? "presence presence-on" : "presence"} aria-hidden="true" />
      )}
    </span>
  );
}
