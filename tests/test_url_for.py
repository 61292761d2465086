"""Links in pages follow the app's mount point: a Canal served under /portal links under /portal."""
import pytest


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_a_pages_links_carry_the_mount_point(client, script_root):
    page = client.get("/login", environ_overrides={"SCRIPT_NAME": script_root}).text
    assert f'href="{script_root}/static/' in page
    assert f'action="{script_root}/login"' in page


def test_links_follow_the_mount_point_of_each_request(client):
    """The same app answering under two mount points (links are memoized per render, keyed by the mount point)."""
    assert 'action="/login"' in client.get("/login").text
    assert 'action="/portal/login"' in client.get("/login", environ_overrides={"SCRIPT_NAME": "/portal"}).text
    assert 'action="/login"' in client.get("/login").text
