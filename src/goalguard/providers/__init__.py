"""Model providers registered with Inspect: ``llamacpp/<model>`` (in-process llama.cpp),
``organism/<profile>`` (a scripted model organism with known rates) and
``scriptedjudge/<mode>`` (a judge with known replies, a test instrument)."""

from inspect_ai.model import ModelAPI, modelapi


@modelapi(name="llamacpp")
def llamacpp() -> type[ModelAPI]:
    from goalguard.providers.llamacpp import LlamaCppAPI

    return LlamaCppAPI


@modelapi(name="organism")
def organism() -> type[ModelAPI]:
    from goalguard.providers.organism import OrganismAPI

    return OrganismAPI


@modelapi(name="scriptedjudge")
def scriptedjudge() -> type[ModelAPI]:
    from goalguard.providers.scripted_judge import ScriptedJudgeAPI

    return ScriptedJudgeAPI
