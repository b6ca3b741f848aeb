"""Model providers registered with Inspect: ``llamacpp/<model>`` (in-process llama.cpp) and
``organism/<profile>`` (a scripted model organism with known rates)."""

from inspect_ai.model import ModelAPI, modelapi


@modelapi(name="llamacpp")
def llamacpp() -> type[ModelAPI]:
    from goalguard.providers.llamacpp import LlamaCppAPI

    return LlamaCppAPI


@modelapi(name="organism")
def organism() -> type[ModelAPI]:
    from goalguard.providers.organism import OrganismAPI

    return OrganismAPI
