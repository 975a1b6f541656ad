"""The app's Streamlit settings keep health data on this machine, send nothing anywhere, and keep reruns quick."""

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


def test_streamlit_reads_no_forced_garbage_collection_after_each_run():
    """Streamlit itself (not only a TOML parser) sees the option: a misspelt key would leave its default, True."""
    import subprocess
    import sys

    read = "from streamlit import config; config.get_config_options(force_reparse=True); print(config.get_option('runner.postScriptGC'))"
    shown = subprocess.run([sys.executable, "-c", read], cwd=CONFIG.parents[1], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
