"""The strict Content-Security-Policy blocks nothing on any page (walked from the URL map)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  (window.__cspViolations = window.__cspViolations || []).push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "")
  );
});
"""

SKIP = {"static", "auth.logout", "health.healthz"}


def _pages(app):
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in SKIP
    )


@pytest.mark.parametrize("persona", ["admin", "organizer"])
def test_csp__no_violations_on_any_page(page, live_server, sign_in, persona):
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server.emails[persona])
    header = page.request.get(live_server.url + "/home").headers["content-security-policy"]
    assert "script-src 'self'" in header
    visited = []
    for path in _pages(live_server.app):
        kind = page.request.get(live_server.url + path).headers.get("content-type", "")
        if not kind.startswith("text/html"):
            continue  # CSV downloads and JSON are not pages
        page.goto(live_server.url + path)
        violations = page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{path}: {violations}"
        visited.append(path)
    assert "/home" in visited
    assert [m for m in messages if "Content Security Policy" in m] == []
