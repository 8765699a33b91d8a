"""The web app's view of the API stays the server's own: its OpenAPI copy, the TypeScript types
generated from it, and the ISO code lists its forms offer."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from config import Settings
from models import codes
from server.routes import openapi_document
from tests.processes import ROOT

pytestmark = pytest.mark.slow  # runs Node once; nothing here touches the store

WEB = ROOT / "web"
STALE = "stale: run `make api-types` and commit web/src/api/"


def test_the_committed_openapi_document_is_the_servers():
    committed = (WEB / "src" / "api" / "openapi.json").read_text()
    current = json.dumps(openapi_document(Settings()), indent=1, sort_keys=True) + "\n"
    assert committed == current, STALE


def test_the_committed_types_are_generated_from_it(tmp_path):
    generator = WEB / "node_modules" / ".bin" / "openapi-typescript"
    assert generator.exists(), "web/node_modules is missing: run `make web`"
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(generator), "src/api/openapi.json", "-o", str(generated)],
        cwd=WEB,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert (WEB / "src" / "api" / "schema.d.ts").read_text() == generated.read_text(), STALE


@pytest.mark.parametrize("name", ["COUNTRIES", "LANGUAGES"])
def test_the_apps_code_lists_are_the_servers(name: str):
    source = (WEB / "src" / "lib" / "codes.ts").read_text()
    listed = re.search(rf"export const {name} = \[(.*?)\] as const;", source, re.S)
    assert listed is not None, f"{name} not found in web/src/lib/codes.ts"
    in_app = re.findall(r'"([^"]+)"', listed.group(1))
    assert len(in_app) == len(set(in_app))
    assert set(in_app) == getattr(codes, name)
