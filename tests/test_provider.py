"""The in-process llama.cpp provider, with real inference on the bundled SmolLM2 GGUF."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from inspect_ai.model import (
    ChatMessage,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    ModelOutput,
    get_model,
)

from goalguard.providers.gguf import GGUFError, resolve_gguf
from goalguard.providers.llamacpp import PromptTooLongError, load_model

# A system context of about 200 tokens (three whole prompt chunks of 64): long enough for
# the prefix cache to matter, short enough to keep each prefill cheap.
SYSTEM = ChatMessageSystem(
    content="You are a concise assistant for a public library. " * 20
    + "Answer in one short sentence."
)

LONG_SYSTEM = ChatMessageSystem(
    content="You help visitors of a small public library find books and opening hours. " * 20
    + "Answer in one short sentence."
)


def _generate(
    model_name: str, question: str, system: ChatMessageSystem = SYSTEM, **kwargs: object
) -> ModelOutput:
    config = GenerateConfig(max_tokens=8, temperature=0.0)
    model = get_model(model_name, config=config, memoize=False, **kwargs)  # type: ignore[arg-type]
    return asyncio.run(model.generate([system, ChatMessageUser(content=question)]))


def test_generates_text_and_reports_usage() -> None:
    output = _generate("llamacpp/smollm2", "What is the capital of France?")
    assert output.completion.strip(), "the model produced no text"
    usage = output.usage
    assert usage is not None
    assert usage.output_tokens > 0
    prompt_tokens = usage.input_tokens + (usage.input_tokens_cache_read or 0)
    assert prompt_tokens > 200  # the long system context was actually sent
    assert usage.total_tokens == prompt_tokens + usage.output_tokens


def test_shared_prefix_is_not_evaluated_twice() -> None:
    """llama.cpp's own prompt-eval counter shows the second call skips the shared prefix,
    reused in whole chunks of n_batch tokens (so a warm call computes what a cold one does)."""
    loaded = load_model(resolve_gguf("smollm2"))
    loaded.clear_cache()  # start from an empty cache, whatever earlier tests ran
    first_before = loaded.prompt_eval_count()
    first = _generate("llamacpp/smollm2", "Name one book by Jane Austen.", system=LONG_SYSTEM)
    first_evaluated = loaded.prompt_eval_count() - first_before

    second_before = loaded.prompt_eval_count()
    second = _generate("llamacpp/smollm2", "When does the library open?", system=LONG_SYSTEM)
    second_evaluated = loaded.prompt_eval_count() - second_before

    assert first.usage is not None and second.usage is not None
    cached = second.usage.input_tokens_cache_read or 0
    chunk = loaded.llm.n_batch
    prompts = [
        loaded.render(
            [{"role": "system", "content": LONG_SYSTEM.text}, {"role": "user", "content": q}]
        )
        for q in ("Name one book by Jane Austen.", "When does the library open?")
    ]
    shared = next(i for i, (a, b) in enumerate(zip(*prompts, strict=False)) if a != b)
    assert cached == shared // chunk * chunk > 0
    assert second_evaluated <= second.usage.input_tokens + 1
    assert second_evaluated <= first_evaluated - cached + 1


def test_prefix_cache_can_be_switched_off() -> None:
    _generate("llamacpp/smollm2", "Name one book by Jane Austen.", prefix_cache=False)
    loaded = load_model(resolve_gguf("smollm2"))
    before = loaded.prompt_eval_count()
    output = _generate("llamacpp/smollm2", "When does the library open?", prefix_cache="false")
    evaluated = loaded.prompt_eval_count() - before
    assert output.usage is not None
    assert output.usage.input_tokens_cache_read == 0
    assert evaluated > 200  # the whole prompt, the shared system context included


def test_a_mistyped_flag_is_an_error_not_true() -> None:
    with pytest.raises(ValueError, match="-M prefix_cache: expected true or false, got 'flase'"):
        get_model("llamacpp/smollm2", memoize=False, prefix_cache="flase")


def test_seed_makes_sampling_repeatable() -> None:
    config = GenerateConfig(max_tokens=20, temperature=1.0, seed=11)
    model = get_model("llamacpp/smollm2", config=config, memoize=False)
    messages = [SYSTEM, ChatMessageUser(content="Invent a name for a cat.")]
    first = asyncio.run(model.generate(messages))
    second = asyncio.run(model.generate(messages))
    assert first.completion == second.completion


def test_seeded_sample_does_not_depend_on_the_cache() -> None:
    """A seeded sample at temperature 1 gives the same text cold, repeated, warm after a
    prompt sharing the system context (so part of the prompt comes from the KV cache) and
    after an unrelated prompt."""
    config = GenerateConfig(max_tokens=16, temperature=1.0, seed=11)
    model = get_model("llamacpp/smollm2", config=config, memoize=False)
    cat = [SYSTEM, ChatMessageUser(content="Invent a name for a cat.")]

    def sample(messages: list[ChatMessage]) -> ModelOutput:
        return asyncio.run(model.generate(messages))

    load_model(resolve_gguf("smollm2")).clear_cache()
    cold = sample(cat)
    repeated = sample(cat)
    sample([SYSTEM, ChatMessageUser(content="When does the library open?")])
    warm = sample(cat)
    sample([ChatMessageSystem(content="You are a poet."), ChatMessageUser(content="Rain?")])
    after_other = sample(cat)

    assert cold.usage is not None and warm.usage is not None
    assert cold.usage.input_tokens_cache_read == 0
    assert (warm.usage.input_tokens_cache_read or 0) > 0  # the warm call did reuse the cache
    texts = [o.completion for o in (cold, repeated, warm, after_other)]
    assert texts == [cold.completion] * 4, texts


def test_alternating_system_contexts_each_find_their_saved_prefix() -> None:
    """Calls that alternate between two system contexts (a belief call and its scenario
    call, a judge and its model) reuse each context's prefix from a saved cache, and a
    seeded sample's text is the same as cold; with no slots only the live cache helps."""
    config = GenerateConfig(max_tokens=12, temperature=1.0, seed=5)
    library = [LONG_SYSTEM, ChatMessageUser(content="Invent a name for a cat.")]
    poet = [SYSTEM, ChatMessageUser(content="Invent a name for a dog.")]
    loaded = load_model(resolve_gguf("smollm2"))

    def run(slots: int, *calls: list[ChatMessage]) -> list[ModelOutput]:
        model = get_model("llamacpp/smollm2", config=config, memoize=False, prefix_slots=slots)
        loaded.clear_cache()
        return [asyncio.run(model.generate(m)) for m in calls]

    cold_library, cold_poet, library_again, poet_again = run(2, library, poet, library, poet)
    for again, cold in ((library_again, cold_library), (poet_again, cold_poet)):
        assert cold.usage is not None and again.usage is not None
        prompt = cold.usage.input_tokens + (cold.usage.input_tokens_cache_read or 0)
        assert cold.usage.input_tokens_cache_read == 0
        # all but the last chunk of the prompt came from a saved cache
        assert prompt - loaded.llm.n_batch <= (again.usage.input_tokens_cache_read or 0)
        assert again.completion == cold.completion

    *_, no_slots_library = run(0, library, poet, library)
    assert no_slots_library.usage is not None
    assert no_slots_library.usage.input_tokens_cache_read == 0
    assert no_slots_library.completion == cold_library.completion


@pytest.mark.parametrize("slots", [-1, "two"])
def test_prefix_slots_must_be_a_count(slots: object) -> None:
    with pytest.raises(ValueError, match="prefix_slots must be a whole number, 0 or more"):
        get_model("llamacpp/smollm2", memoize=False, prefix_slots=slots)  # type: ignore[arg-type]


def test_stop_sequences_and_max_tokens_are_honoured() -> None:
    model = get_model(
        "llamacpp/smollm2",
        config=GenerateConfig(max_tokens=5, temperature=0.0),
        memoize=False,
    )
    output = asyncio.run(
        model.generate([SYSTEM, ChatMessageUser(content="Count from one to twenty.")])
    )
    assert output.usage is not None and output.usage.output_tokens <= 5
    assert output.stop_reason == "max_tokens"

    baseline = asyncio.run(
        model.generate(
            [SYSTEM, ChatMessageUser(content="Count from one to twenty.")],
            config=GenerateConfig(max_tokens=40, temperature=0.0),
        )
    )
    stop = baseline.completion.strip().split()[1]
    stopped = asyncio.run(
        model.generate(
            [SYSTEM, ChatMessageUser(content="Count from one to twenty.")],
            config=GenerateConfig(max_tokens=40, temperature=0.0, stop_seqs=[stop]),
        )
    )
    assert stop not in stopped.completion
    assert len(stopped.completion) < len(baseline.completion)


def test_missing_gguf_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(GGUFError, match="nope.gguf"):
        get_model(f"llamacpp/{missing}", memoize=False)


def test_corrupt_gguf_names_the_file(tmp_path: Path) -> None:
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    with pytest.raises(GGUFError, match=r"notes\.gguf.*not a GGUF file"):
        resolve_gguf(str(not_gguf))

    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(resolve_gguf("smollm2").read_bytes()[:4096])
    with pytest.raises(GGUFError, match=r"could not load .*truncated\.gguf"):
        load_model(truncated, n_ctx=256)


def test_prompt_longer_than_context_names_the_sizes() -> None:
    model = get_model(
        "llamacpp/smollm2", config=GenerateConfig(max_tokens=8), memoize=False, n_ctx=256
    )
    long_question = "Please summarise this. " + "The quick brown fox jumps. " * 200
    with pytest.raises(PromptTooLongError, match=r"prompt is \d+ tokens .* context .* is 256"):
        asyncio.run(model.generate([ChatMessageUser(content=long_question)]))


def test_unknown_model_arg_is_rejected() -> None:
    with pytest.raises(ValueError, match="n_ctxx"):
        get_model("llamacpp/smollm2", memoize=False, n_ctxx=100)


def test_thread_count_bounds_prompt_processing_too() -> None:
    """``-M n_threads`` sets both llama.cpp thread pools (prompt processing defaults to every
    core otherwise)."""
    loaded = load_model(resolve_gguf("smollm2"), n_ctx=512, n_threads=1)
    assert loaded.llm.context_params.n_threads == 1
    assert loaded.llm.context_params.n_threads_batch == 1
