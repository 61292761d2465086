"""Links in pages follow the app's mount point: a Canal served under /portal links under /portal."""
import pytest


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_a_pages_links_carry_the_mount_point(client, script_root):
    page = client.get("/login", environ_overrides={"SCRIPT_NAME": script_root}).text
    assert f'href="{script_root}/static/' in page
    assert f'action="{script_root}/login"' in page
