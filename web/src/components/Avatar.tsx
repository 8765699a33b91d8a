interface Props {
  name: string;
  url?: string | null;
  size?: number;
  online?: boolean;
}

// Each at least 4.5:1 against the white initials (WCAG AA for text of any size).
const COLORS = ["#4f46e5", "#0e7490", "#047857", "#b45309", "#be185d", "#7c3aed", "#1d4ed8"];

/** A person's photo, or their initials on a color of their own; a dot when online. */
export function Avatar({ name, url, size = 40, online }: Props) {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase() ?? "")
    .join("");
  const color = COLORS[Array.from(name).reduce((sum, c) => sum + c.charCodeAt(0), 0) % COLORS.length];
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.4 }}>
      {url ? (
        <img src={url} alt="" width={size} height={size} loading="lazy" />
      ) : (
        <span
          className="avatar-initials"
          style={{ background: color }}
          data-initials={initials || "?"}
          aria-hidden="true"
        />
      )}
      {online !== undefined && <span className={online ? "presence presence-on" : "presence"} aria-hidden="true" />}
    </span>
  );
}
