"""The NHS.UK favicon: linked from every page, and at /favicon.ico."""

import re


def test_favicon_is_served_and_linked(client, people, as_user):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    as_user(people.aisha)
    html = client.get("/").get_data(as_text=True)
    links = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', html)
    assert any(href.endswith("/favicon.ico") for href in links), links
    for href in links:
        with client.get(href) as linked:
            assert linked.status_code == 200, href
