"""Finding a model's indicators and levels from text that people typed (CSV cases, policy cases).

Texts match when they are equal after `normalise`: case, spacing and punctuation are ignored, so
"Concerns about parent / carer attachment." finds "Concerns about parent/carer attachment". A text
that the document prints at two levels is two indicators (DESIGN.md, Settled questions 1): it is
ambiguous unless qualified with its level, as "2: Concerns about parent/carer attachment".
"""

from thresholds.classifier import IndicatorSpec, LevelSpec, ModelSnapshot


class MatchError(ValueError):
    """A text that names no indicator or level of the model, or several: the message says which."""


def normalise(text: str) -> str:
    """Lower case, letters and digits only."""
    return "".join(character for character in text.casefold() if character.isalnum())


def level_find(model: ModelSnapshot, text: str) -> LevelSpec:
    """The level whose code, name or label is `text` (normalised); codes first, as they are unique."""
    wanted = normalise(text)
    if not wanted:
        raise MatchError("no level given")
    for attribute in ("code", "name", "label"):
        found = [level for level in model.levels if normalise(getattr(level, attribute)) == wanted]
        if len(found) == 1:
            return found[0]
    codes = ", ".join(f'"{level.code}" ({level.name})' for level in model.levels)
    raise MatchError(f'level "{text}" is not a level of {model.name}; its levels are {codes}')


class IndicatorIndex:
    """A model's indicators by normalised text, to find many texts without another query."""

    def __init__(self, model: ModelSnapshot) -> None:
        self.model = model
        self._by_text: dict[str, list[IndicatorSpec]] = {}
        for indicator in sorted(model.indicators.values(), key=lambda spec: spec.id):
            self._by_text.setdefault(normalise(indicator.text), []).append(indicator)

    def _level_code(self, indicator: IndicatorSpec) -> str:
        return self.model.level(indicator.level_id).code

    def _qualified(self, text: str) -> tuple[LevelSpec, str] | None:
        """("2", "text") for "2: text" when "2" is one of the model's levels, else None."""
        prefix, separator, rest = text.partition(":")
        if not separator or not normalise(rest):
            return None
        try:
            return level_find(self.model, prefix), rest
        except MatchError:
            return None

    def find(self, text: str) -> IndicatorSpec:
        qualified = self._qualified(text)
        if qualified:
            level, rest = qualified
            found = [spec for spec in self._by_text.get(normalise(rest), []) if spec.level_id == level.id]
            if len(found) == 1:
                return found[0]
        found = self._by_text.get(normalise(text), [])
        if len(found) == 1:
            return found[0]
        if not found:
            raise MatchError(f'indicator "{text.strip()}" matches no indicator of {self.model.name}')
        codes = [self._level_code(spec) for spec in found]
        if len(set(codes)) == len(codes):
            options = " or ".join(f'"{code}: {found[0].text}"' for code in codes)
            advice = f"qualify it with its level, as {options}"
        else:  # the same text in two sub-domains of one level: the level cannot tell them apart
            advice = "ask the council administrator to tell them apart"
        raise MatchError(
            f'indicator "{text.strip()}" is ambiguous: it matches {len(found)} indicators, '
            f"at levels {', '.join(codes)}; {advice}"
        )
