"""Team-member avatars served by the sandbox itself, so pages render offline (initials on a circle)."""

from __future__ import annotations

from html import escape

from werkzeug.wrappers import Response

from .entities import World

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
    '<circle cx="48" cy="48" r="48" fill="{fill}"/>'
    '<text x="48" y="58" font-family="sans-serif" font-size="32" fill="#fff" text-anchor="middle">'
    "{text}</text>"
    "</svg>"
)
_FILLS = ("#1F6F5C", "#7A4E9E", "#B5543C", "#2D5D8C")


def avatar_response(world: World, path: str) -> Response:
    name = path.rsplit("/", 1)[-1].removesuffix(".svg")
    member = world.staff.get(int(name)) if name.isdigit() else None
    if member is None and name != "no-master":
        return Response("not found", 404, mimetype="text/plain")
    initials = "".join(part[0] for part in member.name.split()[:2]) if member else "?"
    fill = _FILLS[member.id % len(_FILLS)] if member else "#9E9E9E"
    svg = _SVG.format(fill=fill, text=escape(initials))
    return Response(svg, 200, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
