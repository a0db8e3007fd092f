"""The config schema is the single source of defaults (issue 16): the library reads its defaults
from it (augeval.config_schema), no code repeats one, and they fill in as Snakemake fills them."""

import ast
import copy
import re
from pathlib import Path

import pytest
import yaml

from augeval import config_schema
from augeval.generators import (
    WORKFLOW_KEYS,
    generator_config,
    generator_defaults,
    generator_kind,
    with_defaults,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO / "workflow/schemas/config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())

# Written out independently of the schema: the values the workflow has used all along (the
# paper's sizes; the library's old built-in defaults). Changing a default changes results, so it
# must be a deliberate edit of the schema and of this list.
EXPECTED = {
    "samplernn": {
        "clip_seconds": 10.0,
        "prime_seconds": 4.0,
        "include_prime": False,
        "class_conditioning": False,
        "warm_up": "full",
        "sample_rate": 16000,
        "frame_sizes": [16, 4],
        "dim": 1024,
        "n_rnn": 2,
        "q_levels": 256,
        "quantization": "mu_law",
        "seq_len": 1024,
        "chunk_seconds": 8.0,
        "batch_size": 128,
        "lr": 0.001,
        "grad_clip": 1.0,
        "steps": 100000,
        "val_every": 1000,
        "save_every": None,
        "checkpoint_minutes": 30.0,
        "val_chunks": 64,
        "loader_workers": 4,
        "temperature": 1.0,
        "gen_batch_size": 32,
        "device": "auto",
        "precision": "fp32",
    },
    "ddsp": {
        "clip_seconds": 4.0,
        "sample_rate": 16000,
        "hop": 64,
        "f0_method": "pyin",
        "crepe_model": "full",
        "crepe_batch_size": 512,
        "crepe_voicing_threshold": 0.0,
        "f0_min": 40.0,
        "f0_max": 2000.0,
        "f0_resolution": 0.1,
        "f0_frame_length": 1024,
        "loudness_n_fft": 1024,
        "excerpts_per_track": 1,
        "max_val_clips": 256,
        "feature_shards": 8,
        "feature_threads": 8,
        "n_harmonics": 100,
        "n_noise_bands": 65,
        "hidden": 512,
        "mlp_layers": 3,
        "use_z": False,
        "z_dim": 16,
        "n_mfcc": 30,
        "reverb": False,
        "reverb_seconds": 1.0,
        "fft_sizes": [2048, 1024, 512, 256, 128, 64],
        "batch_size": 16,
        "lr": 0.001,
        "lr_decay": 1.0,
        "lr_decay_steps": 10000,
        "grad_clip": 3.0,
        "epochs": 100,
        "max_steps": None,
        "val_every": 1,
        "checkpoint_every": 1,
        "checkpoint_minutes": 30.0,
        "device": "auto",
        "precision": "fp32",
    },
    "jukebox": {
        "clip_seconds": 24.0,
        "prime_seconds": 8.0,
        "model": "5b",
        "weights_dir": "~/.cache/jukebox/models",
        "init": "pretrained",
        "tiny": False,
        "tiny_labels": True,
        "song_seconds": 180,
        "tiny_n_ctx": [256, 128, 64],
        "sample_rate": 44100,
        "temperature": 0.99,
        "gen_batch_size": 3,
        "levels": "all",
        "max_batch_size": None,
        "chunk_size": None,
        "fp16": "auto",
        "device": "auto",
        "precision": "fp32",
        "checksums": {},
        "weights_url": None,
    },
    "copy": {"sample_rate": 16000},
    "noise": {"sample_rate": 16000, "envelope": "shuffled"},
    "oracle": {"sample_rate": 16000, "tags": "source"},  # the source track's tags; was a class tag
    "samples": {"sample_rate": 16000, "clip_seconds": 10.0},  # excerpts (issue 21); was whole files
    "command": {"sample_rate": 16000, "batch_size": 16, "length_tolerance_s": 0.05},
}
CLASSIFIER = {
    "epoch_size": "all",
    "augment": {
        "resized_crop_p": 0.0,
        "specaugment_p": 0.0,
        "mixup": False,
        "mixup_alpha": 1.0,
        "resized_crop_scope": "chunk",
        "mixup_style": "batch",
    },  # fmt: skip
    "eval_augment": "none",
    "eval_windows": 1,
    "out_conv_padding": 1,
    "memory_format": "channels_last",
    "last_channels": None,
    "selection_head": "mean",
    "reload_best": "phase",
    "keep_sgd_optimizer": False,
    "checkpoint_every": 1,
    "checkpoint_minutes": 30.0,
    "optimizer_impl": "fused",
    "output_bias": "torch",  # PyTorch's init, as the reference
    "grad_clip": None,  # no clipping, as the reference
    "bn_batches": 100,
    "bn_sample": "first",
    "predict_runtime": 60,
    "threads": 1,
    "device": "auto",
    "precision": "fp32",
}
PHASE = {
    "reload_best": False,
    "warmup_epochs": 0,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 0.0001,
}


def typed(d: dict) -> dict:
    """Values with their types: 30 and 30.0 are different defaults (a checkpoint stores them)."""
    return {k: (type(v).__name__, v) for k, v in d.items()}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_generator_defaults_are_the_ones_the_workflow_always_used(kind):
    assert typed(generator_defaults(kind)) == typed(EXPECTED[kind])


def test_classifier_defaults_are_the_ones_the_workflow_always_used():
    filled = config_schema.fill({"schedule": [{"optimizer": "sgd"}]}, "classifier")
    phase = filled.pop("schedule")[0]
    assert typed(filled) == typed(CLASSIFIER)
    assert typed(phase) == typed({"optimizer": "sgd"} | PHASE)
    # an augment block that is given gets each key's own default
    given = config_schema.fill({"augment": {}}, "classifier")["augment"]
    assert given == {
        "resized_crop_p": 0.33, "specaugment_p": 0.5, "mixup": True, "mixup_alpha": 1,
        "resized_crop_scope": "chunk", "mixup_style": "batch",
    }  # fmt: skip


def test_code_constants_that_mirror_a_default_agree_with_the_schema():
    from augeval.generators.ddsp_synth import FFT_SIZES
    from augeval.preempt import DEFAULT_MINUTES

    assert list(FFT_SIZES) == generator_defaults("ddsp")["fft_sizes"]
    assert DEFAULT_MINUTES == config_schema.defaults("classifier")["checkpoint_minutes"]


def test_with_defaults_keeps_given_and_unknown_keys_and_adds_no_workflow_key():
    cfg = {"dim": 64, "class_tags": {"a": ["happy"]}}
    out = with_defaults("samplernn", cfg)
    assert out["dim"] == 64 and out["class_tags"] == {"a": ["happy"]} and out["lr"] == 0.001
    assert not set(out) & set(WORKFLOW_KEYS)
    assert cfg == {"dim": 64, "class_tags": {"a": ["happy"]}}  # the caller's dict is untouched
    out["frame_sizes"].append(2)  # fresh copies: the next caller still gets [16, 4]
    assert with_defaults("samplernn", {})["frame_sizes"] == [16, 4]
    nested = with_defaults("samples", {"demo_clips": {"clips_per_class": 2, "seconds": 1}})
    assert nested["demo_clips"] == {
        "clips_per_class": 2, "seconds": 1, "sample_rate": 8000, "format": "flac",
    }  # fmt: skip


def test_unknown_blocks_are_refused():
    with pytest.raises(KeyError):
        config_schema.defaults("generators.wavenet")
    with pytest.raises(KeyError):
        config_schema.defaults("classifier.lr")


def _snakemake_filled(cfg: dict) -> dict:
    from snakemake.utils import validate

    cfg = copy.deepcopy(cfg)
    validate(cfg, str(SCHEMA_PATH))
    return cfg


def _ref_keys(kind_block: dict) -> set[str]:
    return {k for k, v in kind_block.get("properties", {}).items() if "$ref" in v}


@pytest.mark.parametrize("name", ["config.yaml", "mtg_jamendo.yaml"])
def test_fill_adds_what_snakemake_validate_adds(name):
    """Library calls and workflow jobs see the same settings: augeval.config_schema.fill gives what
    Snakemake's validate writes into the config, plus the defaults of keys that point to a shared
    definition (checkpoint_minutes), which Snakemake leaves out (the library then fills them)."""
    raw = yaml.safe_load((REPO / "config" / name).read_text())
    raw["data"].pop("download", None)  # its checksums file is the user's
    raw["classifier"].pop("augment", None)  # absent: the block's own default applies
    by_snakemake = _snakemake_filled(raw)
    for block in ("classifier", "labels", "tables", "augment"):
        ours = config_schema.fill(raw.get(block, {}), block)
        theirs = by_snakemake[block]
        missing = set(ours) - set(theirs)
        assert missing <= _ref_keys(config_schema.block(block)), (block, missing)
        assert {k: ours[k] for k in theirs} == theirs, block
    for gen, cfg in raw["generators"].items():
        kind = generator_kind(gen, cfg)
        ours = with_defaults(kind, generator_config(cfg))
        theirs = generator_config(by_snakemake["generators"][gen])
        missing = set(ours) - set(theirs)
        assert missing <= _ref_keys(config_schema.block(f"generators.{kind}")), (gen, missing)
        assert {k: ours[k] for k in theirs} == theirs, gen


# ------------------------------------------------------------------------- no default in code


def _keys_with_defaults(node, root, seen=None) -> set[str]:
    """Every property name that has a default somewhere in the schema."""
    seen = set() if seen is None else seen
    out: set[str] = set()
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"] not in seen:
            seen.add(node["$ref"])
            out |= _keys_with_defaults(config_schema.resolve(node, root), root, seen)
        for name, sub in node.get("properties", {}).items():
            if "default" in config_schema.resolve(sub, root):
                out.add(name)
        for value in node.values():
            out |= _keys_with_defaults(value, root, seen)
    elif isinstance(node, list):
        for value in node:
            out |= _keys_with_defaults(value, root, seen)
    return out


DEFAULTED = _keys_with_defaults(SCHEMA, SCHEMA)
SCHEMA_TOOLS = {"config_schema.py", "config_doc.py", "config_check.py"}  # read the schema itself


def _literal_gets(path: Path):
    """(line, key, default) of every ``x.get("key", <literal>)`` in a Python file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "get" or len(node.args) != 2 or node.keywords:
            continue
        key, default = node.args
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        try:
            value = ast.literal_eval(default)
        except ValueError:
            continue  # a computed fallback (e.g. source_seconds -> clip_seconds)
        yield node.lineno, key.value, value


def test_sanity_of_the_scan():
    assert {"lr", "sample_rate", "mixup", "momentum", "fraction", "n_bootstrap"} <= DEFAULTED


def test_no_library_or_script_code_repeats_a_schema_default():
    files = [p for p in (REPO / "src/augeval").rglob("*.py") if p.name not in SCHEMA_TOOLS]
    files += sorted((REPO / "workflow/scripts").glob("*.py"))
    repeated = [
        f"{p.relative_to(REPO)}:{line}: .get({key!r}, {value!r})"
        for p in files
        for line, key, value in _literal_gets(p)
        if key in DEFAULTED
    ]
    assert not repeated, (
        "these repeat a default of workflow/schemas/config.schema.yaml; index the filled config "
        "(Snakemake fills it; library code: augeval.config_schema.fill / "
        f"augeval.generators.with_defaults): {repeated}"
    )


def _schema_defaults_of(key: str) -> list:
    out = []

    def walk(node):
        if isinstance(node, dict):
            sub = node.get("properties", {}).get(key)
            if sub is not None and "default" in config_schema.resolve(sub, SCHEMA):
                out.append(config_schema.resolve(sub, SCHEMA)["default"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(SCHEMA)
    return out


def test_rule_fallbacks_agree_with_the_schema():
    """The rules (not rewritten here) still have fallbacks; each must be the schema's value."""
    pattern = re.compile(r"""\.get\(\s*"(\w+)",\s*([^()\[\]{}]+|\[[^\]]*\]|\{\})\s*\)""")
    wrong = []
    for path in sorted((REPO / "workflow/rules").glob("*.smk")) + [REPO / "Snakefile"]:
        for match in pattern.finditer(path.read_text()):
            key, text = match.groups()
            if key not in DEFAULTED:
                continue
            try:
                value = ast.literal_eval(text.strip())
            except (ValueError, SyntaxError):
                continue
            if value not in _schema_defaults_of(key):
                wrong.append(f"{path.name}: .get({key!r}, {value!r})")
    assert not wrong, f"rule fallbacks that disagree with the schema: {wrong}"
