"""The app's Streamlit settings keep health data on this machine and send nothing anywhere."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_no_telemetry_no_email_prompt_local_only():
    config = tomllib.loads(CONFIG.read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["showEmailPrompt"] is False
    assert config["server"]["address"] == "localhost"
    assert config["server"]["maxUploadSize"] == 1024
    assert config["server"]["enableXsrfProtection"] is True and config["server"]["enableCORS"] is True
    assert config["client"]["showErrorDetails"] == "type"


def test_upload_limit_equals_the_loaders_limit():
    from analysis.io.inputs import MAX_INPUT_BYTES

    assert tomllib.loads(CONFIG.read_text())["server"]["maxUploadSize"] * 2**20 == MAX_INPUT_BYTES
