"""Rule cost_forecast: per-rule and per-generator forecast hours (augeval.forecast)."""

import logging

from augeval.atomic import write_tsv
from augeval.forecast import Costs, forecast
from augeval.logs import run_logged

sm = snakemake  # noqa: F821  (injected by Snakemake)
log = logging.getLogger("augeval.forecast")


def main():
    metadata = {split: sm.input[split] for split in ("train", "validation", "test")}
    config = sm.params.config | {
        "labels": sm.params.config["labels"] | {"emotion_mapping": sm.input.emotion_mapping}
    }
    costs = Costs.from_yaml(sm.input.costs)
    rules, generators, detail = forecast(config, sm.params.plan, metadata, costs)
    cpu_only, _, cpu_detail = forecast(config, sm.params.plan, metadata, costs, gpu=False)
    write_tsv(rules, sm.output.rules, float_format="%.4g")
    write_tsv(generators, sm.output.generators, float_format="%.4g")
    write_tsv(cpu_only, sm.output.cpu_only, float_format="%.4g")
    log.info("forecast per rule:\n%s", rules.to_string(index=False))
    log.info("CPU- and GPU-hours per generator:\n%s", generators.to_string(index=False))
    log.info("per rule and generator:\n%s", detail.to_string(index=False))
    log.info("if the GPU rules ran on a CPU:\n%s", cpu_only.to_string(index=False))
    log.info("if the GPU rules ran on a CPU, per generator:\n%s", cpu_detail.to_string(index=False))
    late = rules.loc[~rules["fits"], "rule"].tolist()
    if late:
        log.warning("longest job exceeds the rule's runtime limit: %s", ", ".join(late))


run_logged(sm.log[0], main)
