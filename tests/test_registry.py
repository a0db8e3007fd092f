"""The generator registry: the one list of kinds, what each declares, and the one interface."""

import inspect

import pytest
import yaml
from helpers import REPO

from augeval.errors import ConfigError
from augeval.generators import generator_kind, make_generator
from augeval.generators.base import FitJob, GenerateJob
from augeval.generators.registry import (
    KINDS,
    REGISTRY,
    generator_resources,
    generator_threads,
    kinds_where,
)

SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())


def test_the_schema_allows_exactly_the_registered_kinds():
    assert sorted(SCHEMA["$defs"]["kind"]["enum"]) == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_builds_and_takes_one_job(kind):
    gen = make_generator(kind, f"my_{kind}")
    assert gen.name == f"my_{kind}"
    assert gen.trainable == REGISTRY[kind].trains
    for method, job in (("fit", FitJob), ("generate", GenerateJob)):
        params = list(inspect.signature(getattr(gen, method)).parameters.values())
        assert [p.name for p in params] == ["job"], (kind, method)
        assert params[0].annotation in (job, job.__name__), (kind, method)


def test_what_the_kinds_declare():
    # written out by hand from what the paper's generators and ours need
    assert kinds_where(trains=True) == ("samplernn", "ddsp")
    assert kinds_where(features=True) == ("ddsp",)
    assert kinds_where(pretrained=True) == ("jukebox",)
    assert kinds_where(control=True) == ("copy", "noise", "oracle")
    assert kinds_where(holdout=True) == ("oracle",)
    assert kinds_where(anchor=True) == ("copy", "noise")
    assert kinds_where(sources="samples") == ("samples",)
    assert kinds_where(trains=True, features=True) == ("ddsp",)


def test_resources_are_the_kind_defaults_updated_by_the_config():
    assert generator_resources("samplernn", {}) == {"mem_mb": 16000, "runtime": 2880, "gpu": 1}
    assert generator_resources("jukebox", None)["mem_mb"] == 64000
    assert generator_resources("copy", {}) == {"mem_mb": 2000, "runtime": 60, "gpu": 0}
    assert generator_resources("command", {})["gpu"] == 0
    mine = generator_resources("ddsp", {"resources": {"gpu": 0, "runtime": 60}})
    assert mine == {"mem_mb": 16000, "runtime": 60, "gpu": 0}
    assert REGISTRY["ddsp"].resources["gpu"] == 1  # the default itself is untouched
    assert generator_threads("samplernn", {"threads": 4}) == 4
    assert generator_threads("copy", {"threads": 4}) == 1  # controls run on one thread


def test_an_unknown_kind_names_the_entry_and_the_choices():
    with pytest.raises(ConfigError, match=r"generators\.mine: kind 'gan' unknown.*samplernn"):
        generator_kind("mine", {"kind": "gan"})
    with pytest.raises(ConfigError, match="unknown generator kind 'gan'"):
        make_generator("gan")
