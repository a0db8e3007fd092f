rule generate_control:
    input:
        sources="results/augment/{generator}/{labelset}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(CONTROLS) or "NO_CONTROL",
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        seed=config["seed"],
    script:
        "../scripts/generate_clips.py"


rule ddsp_features:
    input:
        table=get_ddsp_feature_table,
    output:
        "results/generators/{generator}/{labelset}/features/{part}.npz",
    log:
        "logs/generators/ddsp_features/{generator}_{labelset}_{part}.log",
    benchmark:
        "benchmarks/generators/ddsp_features/{generator}_{labelset}_{part}.tsv"
    wildcard_constraints:
        part="train|validation|sources",
        generator="|".join(DDSP) or "NO_DDSP",
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=600,
    params:
        generator=get_generator_config,
    script:
        "../scripts/ddsp_features.py"


rule train_generator:
    input:
        unpack(get_generator_training_inputs),
    output:
        "results/generators/{generator}/{labelset}/checkpoint.pt",
    log:
        "logs/generators/train/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/train/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(TRAINABLE) or "NO_TRAINABLE",
    conda:
        "../../envs/augeval.yaml"
    threads: lambda wc: config["generators"][wc.generator].get("threads", 1)
    resources:
        mem_mb=lambda wc: get_generator_resource(wc, "mem_mb", 16000),
        runtime=lambda wc: get_generator_resource(wc, "runtime", 2880),
        gpu=lambda wc: get_generator_resource(wc, "gpu", 1),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        seed=config["seed"],
    script:
        "../scripts/train_generator.py"


rule generate_model:
    input:
        unpack(get_generation_inputs),
    output:
        "results/generated/{generator}/{labelset}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(TRAINABLE) or "NO_TRAINABLE",
    conda:
        "../../envs/augeval.yaml"
    threads: lambda wc: config["generators"][wc.generator].get("threads", 1)
    resources:
        mem_mb=lambda wc: get_generator_resource(wc, "mem_mb", 16000),
        runtime=lambda wc: get_generator_resource(wc, "runtime", 2880),
        gpu=lambda wc: get_generator_resource(wc, "gpu", 1),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        seed=config["seed"],
    script:
        "../scripts/generate_clips.py"


rule generate_jukebox:
    input:
        sources="results/augment/{generator}/{labelset}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(JUKEBOX) or "NO_JUKEBOX",
    conda:
        "../../envs/augeval.yaml"
    threads: lambda wc: config["generators"][wc.generator].get("threads", 1)
    resources:
        mem_mb=lambda wc: get_generator_resource(wc, "mem_mb", 64000),
        runtime=lambda wc: get_generator_resource(wc, "runtime", 2880),
        gpu=lambda wc: get_generator_resource(wc, "gpu", 1),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        seed=config["seed"],
    script:
        "../scripts/generate_clips.py"


# The demo's stand-in for clips made elsewhere (a samples generator with demo_clips:).
rule make_demo_samples:
    output:
        directory("results/demo/samples/{generator}/{labelset}"),
    log:
        "logs/generators/make_demo_samples/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/make_demo_samples/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(DEMO_SAMPLES) or "NO_DEMO_SAMPLES",
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        demo_clips=get_demo_clips_config,
        seed=config["seed"],
    script:
        "../scripts/make_demo_samples.py"


rule generate_external:
    input:
        sources="results/augment/{generator}/{labelset}/sources.tsv",
    output:
        "results/generated/{generator}/{labelset}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator="|".join(EXTERNAL) or "NO_EXTERNAL",
    conda:
        "../../envs/augeval.yaml"
    threads: lambda wc: config["generators"][wc.generator].get("threads", 1)
    resources:
        mem_mb=lambda wc: get_generator_resource(wc, "mem_mb", 4000),
        runtime=lambda wc: get_generator_resource(wc, "runtime", 600),
        gpu=lambda wc: get_generator_resource(wc, "gpu", 0),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        seed=config["seed"],
    script:
        "../scripts/generate_clips.py"


# Opt-in, on a machine with internet (never a dependency of generation):
#   snakemake fetch_jukebox_weights --cores 1
rule fetch_jukebox_weights:
    output:
        "results/generators/jukebox_weights.tsv",
    log:
        "logs/generators/fetch_jukebox_weights.log",
    benchmark:
        "benchmarks/generators/fetch_jukebox_weights.tsv"
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=600,
    params:
        generators=get_pretrained_jukebox_configs(),
    script:
        "../scripts/fetch_jukebox_weights.py"
