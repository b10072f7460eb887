"""pg:* verbs and addons:destroy through the real CLI, client and API (fake containers)."""

from tests.cli.conftest import Paas


def test_capture_list_restore_download_and_destroy_with_a_final_backup(paas: Paas, tmp_path):
    paas.api.deployed_app("shop")
    assert paas("addons:create", "postgres", "-a", "shop").exit_code == 0
    captured = paas("pg:backups:capture", "-a", "shop")
    assert captured.exit_code == 0 and "Captured b001 of shop" in captured.output
    assert "b001" in paas("pg:backups", "-a", "shop").output

    refused = paas("pg:backups:restore", "-a", "shop")
    assert refused.exit_code != 0 and "--confirm shop" in refused.output
    assert "Restored b001" in paas("pg:backups:restore", "--confirm", "shop",
                                   "-a", "shop").output
    unknown = paas("pg:backups:restore", "b777", "--confirm", "shop", "-a", "shop")
    assert unknown.exit_code != 0 and "no backup b777" in unknown.output

    out = tmp_path / "x.dump"
    got = paas("pg:backups:download", "b001", "-o", str(out), "-a", "shop")
    assert got.exit_code == 0 and out.read_bytes() == b"DATA"
    assert (out.stat().st_mode & 0o777) == 0o600

    crafted = paas("pg:backups:download", "../../etc", "-a", "shop")
    assert crafted.exit_code != 0 and "not a backup id" in crafted.output
    assert not list(tmp_path.parent.glob("**/*etc.dump*"))

    scheduled = paas("pg:backups:schedule", "--at", "04:15", "--keep", "3", "-a", "shop")
    assert "daily at 04:15 UTC, keeping the last 3" in scheduled.output
    bad = paas("pg:backups:schedule", "--at", "25:00", "-a", "shop")
    assert bad.exit_code != 0 and "HH:MM" in bad.output

    info = paas("pg:info", "-a", "shop")
    assert "Version:" in info.output and "Latest backup: b001" in info.output

    no = paas("addons:destroy", "postgres", "-a", "shop")
    assert no.exit_code != 0 and "its database" in no.output and "final backup" in no.output
    gone = paas("addons:destroy", "postgres", "--confirm", "shop", "-a", "shop")
    assert gone.exit_code == 0 and "Final backup b002 kept" in gone.output
    after = paas("pg:backups:restore", "--confirm", "shop", "-a", "shop")
    assert after.exit_code != 0 and "has no postgres add-on" in after.output
