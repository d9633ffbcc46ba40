"""Scale configs: all three validate; a misspelt key, a missing key or a wrong type is named."""

import copy

import pytest
import yaml

from bioplausible import config, paths


@pytest.mark.parametrize("scale", config.SCALES)
def test_every_scale_validates(scale):
    cfg = config.load(scale)
    assert cfg["scale"] == scale


def _quick():
    with open(paths.root() / "workflow/config/quick.yaml") as fh:
        return yaml.safe_load(fh)


def test_misspelt_key_is_named_with_its_path():
    cfg = _quick()
    cfg["amit"]["fig3"]["n_iters"] = cfg["amit"]["fig3"].pop("n_iter")
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    msg = str(err.value)
    assert "'amit.fig3.n_iters'" in msg          # the unknown key, by full path
    assert "missing config key 'amit.fig3.n_iter'" in msg


def test_wrong_type_is_named():
    cfg = _quick()
    cfg["amit"]["fig4"]["eta"] = "fast"
    with pytest.raises(config.ConfigError, match=r"config key 'amit.fig4.eta': 'fast' is not of type 'number'"):
        config.validate(cfg)


def test_bad_enum_and_top_level_key():
    cfg = _quick()
    cfg["device"] = "gpu"
    cfg["sclae"] = "quick"
    with pytest.raises(config.ConfigError) as err:
        config.validate(cfg)
    assert "'device'" in str(err.value) and "'sclae'" in str(err.value)


def test_scales_share_one_key_set():
    """Scales may differ only in values, never in which keys exist."""
    def keys(d, prefix=""):
        out = set()
        for k, v in d.items():
            out.add(prefix + k)
            if isinstance(v, dict):
                out |= keys(v, prefix + k + ".")
        return out
    loaded = {s: config.thaw(config.load(s)) for s in config.SCALES}
    assert keys(loaded["smoke"]) == keys(loaded["quick"]) == keys(loaded["paper"])


def test_config_is_read_only():
    cfg = config.load("smoke")
    with pytest.raises(TypeError):
        cfg["amit"]["fig3"]["eta"] = 1.0  # type: ignore[index]


def test_section_error_names_key():
    with pytest.raises(config.ConfigError, match="amit.nope"):
        config.section(config.load("smoke"), "amit.nope.x")


def test_unknown_scale():
    with pytest.raises(config.ConfigError, match="smoke, quick, paper"):
        config.config_path("huge")
