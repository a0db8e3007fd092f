# DDSP's f0/loudness of a part (train, validation, sources-<run>), in feature_shards resumable
# jobs on feature_threads processes each (validation: one job); ddsp_features gathers them.
rule ddsp_feature_shard:
    input:
        table=get_ddsp_feature_table,
    output:
        "results/generators/{generator}/{labelset}/features/{part}/shard-{shard}.npz",
    log:
        "logs/generators/ddsp_feature_shard/{generator}_{labelset}_{part}_{shard}.log",
    benchmark:
        "benchmarks/generators/ddsp_feature_shard/{generator}_{labelset}_{part}_{shard}.tsv"
    wildcard_constraints:
        part=DDSP_FEATURE_PARTS,
        generator=one_of(FEATURED) or "NO_FEATURED",
    conda:
        "../../envs/augeval.yaml"
    threads: get_ddsp_feature_threads
    resources:
        mem_mb=get_ddsp_feature_mem_mb,
        runtime=720,  # paper preset, CREPE full at hop 64: 7.8 h forecast; resumes per excerpt
    params:
        features=get_ddsp_feature_params,
        n_shards=get_ddsp_feature_shard_count,
    script:
        "../scripts/ddsp_feature_shard.py"


rule ddsp_features:
    input:
        shards=get_ddsp_feature_shards,
    output:
        "results/generators/{generator}/{labelset}/features/{part}.npz",
    log:
        "logs/generators/ddsp_features/{generator}_{labelset}_{part}.log",
    benchmark:
        "benchmarks/generators/ddsp_features/{generator}_{labelset}_{part}.tsv"
    wildcard_constraints:
        part=DDSP_FEATURE_PARTS,
        generator=one_of(FEATURED) or "NO_FEATURED",
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
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
        generator=one_of(TRAINABLE) or "NO_TRAINABLE",
    conda:
        "../../envs/augeval.yaml"
    threads: get_generator_threads
    resources:
        mem_mb=get_generator_resource("mem_mb"),
        runtime=get_generator_resource("runtime"),
        gpu=get_generator_resource("gpu"),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        seed=config["seed"],
    script:
        "../scripts/train_generator.py"


# Every kind generates through this rule (its registry entry says which inputs it reads);
# generate_clips_gpu is the same rule for generators whose resources ask for a GPU, so that the
# cluster profile can send those, and only those, to the GPU partition. A sharded generator's
# generate_clips job only gathers its shards (see generate_shard), on a CPU.
rule generate_clips:
    input:
        unpack(get_generation_inputs),
    output:
        "results/generated/{generator}/{labelset}/{run}/manifest.tsv",
    log:
        "logs/generators/generate/{generator}_{labelset}_{run}.log",
    benchmark:
        "benchmarks/generators/generate/{generator}_{labelset}_{run}.tsv"
    wildcard_constraints:
        generator=one_of(CLIPS_CPU) or "NO_CPU_GENERATOR",
        run=one_of(CLIP_RUNS),
    conda:
        "../../envs/augeval.yaml"
    threads: get_generation_resource("threads")
    resources:
        mem_mb=get_generation_resource("mem_mb"),
        runtime=get_generation_resource("runtime"),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        labels=config["labels"],
        seed=config["seed"],
    script:
        "../scripts/generate_clips.py"


use rule generate_clips as generate_clips_gpu with:
    benchmark:
        "benchmarks/generators/generate_gpu/{generator}_{labelset}_{run}.tsv"
    wildcard_constraints:
        generator=one_of(CLIPS_GPU) or "NO_GPU_GENERATOR",
        run=one_of(CLIP_RUNS),
    threads: get_generator_threads
    resources:
        mem_mb=get_generator_resource("mem_mb"),
        runtime=get_generator_resource("runtime"),
        gpu=get_generator_resource("gpu"),


# A generator with gen_shards > 1 makes each run in gen_shards jobs, each a contiguous block of
# whole batches of the run's sources (augeval.generators.gen_shards); generate_clips (a short CPU
# job) then gathers their manifests into the run's manifest (the same bytes as one job's).
# The GPU twin as above.
rule generate_shard:
    input:
        unpack(get_generation_source_inputs),
    output:
        "results/generated/{generator}/{labelset}/{run}/shards/shard-{shard}.tsv",
    log:
        "logs/generators/generate_shard/{generator}_{labelset}_{run}_{shard}.log",
    benchmark:
        "benchmarks/generators/generate_shard/{generator}_{labelset}_{run}_{shard}.tsv"
    wildcard_constraints:
        generator=one_of([g for g in CPU_GENERATORS if g in SHARDED_GENERATORS])
        or "NO_CPU_SHARDED",
        run=one_of(CLIP_RUNS),
        shard=r"\d+",
    conda:
        "../../envs/augeval.yaml"
    threads: get_generator_threads
    resources:
        mem_mb=get_generator_resource("mem_mb"),
        runtime=get_generator_resource("runtime"),
    params:
        generator=get_generator_config,
        kind=get_generator_kind,
        labels=config["labels"],
        seed=config["seed"],
        n_shards=get_generation_shard_count,
    script:
        "../scripts/generate_clips.py"


use rule generate_shard as generate_shard_gpu with:
    wildcard_constraints:
        generator=one_of([g for g in GPU_GENERATORS if g in SHARDED_GENERATORS])
        or "NO_GPU_SHARDED",
        run=one_of(CLIP_RUNS),
        shard=r"\d+",
    resources:
        mem_mb=get_generator_resource("mem_mb"),
        runtime=get_generator_resource("runtime"),
        gpu=get_generator_resource("gpu"),


# The demo's stand-in for clips made elsewhere (a samples generator with demo_clips:).
rule make_demo_samples:
    output:
        directory("results/demo/samples/{generator}/{labelset}"),
    log:
        "logs/generators/make_demo_samples/{generator}_{labelset}.log",
    benchmark:
        "benchmarks/generators/make_demo_samples/{generator}_{labelset}.tsv"
    wildcard_constraints:
        generator=one_of(DEMO_SAMPLES) or "NO_DEMO_SAMPLES",
    conda:
        "../../envs/augeval.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        demo_clips=get_demo_clips_config,
        labels=config["labels"],
        seed=config["seed"],
    script:
        "../scripts/make_demo_samples.py"


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
