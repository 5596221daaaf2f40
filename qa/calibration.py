"""What every chunk's score would average, without scoring every chunk.

Hybrid ranking standardizes its scores over the whole index (dense cosines per chunk language,
BM25 over all chunks: see `qa.retrieval`). An index too large to score whole for each question
(`Retriever.exact_limit`) scores only its candidates, and standardizes them with the statistics
kept here, which are exact, not estimated:

- dense: the mean cosine of a query `q` with a group of unit vectors `v` is `q·E[v]`, its mean
  square `qᵀ E[v vᵀ] q`. With the hubness `h` of each chunk subtracted (`cos − h`), the mean is
  `q·E[v] − E[h]` and the mean square `qᵀE[vvᵀ]q − 2 q·E[h v] + E[h²]`: a few 384×384 products
  a query, whatever the number of chunks.
- lexical: a BM25 score is zero outside the posting lists of the question's terms, so its
  mean and spread over all chunks follow from the chunks those lists reach (`sparse_moments`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GROUP = 5  # smaller language groups are too few to estimate a distribution: all chunks stand in


@dataclass(frozen=True)
class GroupMoments:
    """Moments of one group of chunk vectors (a language's chunks, or all of them)."""

    count: int
    mean: np.ndarray  # E[v]
    second: np.ndarray  # E[v vᵀ]
    hub_mean: dict[str, float]  # per question language: E[h]
    hub_square: dict[str, float]  # E[h²]
    hub_cross: dict[str, np.ndarray]  # E[h v]

    @classmethod
    def of(cls, vectors: np.ndarray, hubness: dict[str, np.ndarray]) -> GroupMoments:
        vectors = np.asarray(vectors, dtype=np.float64)
        count = len(vectors)
        return cls(count, vectors.mean(axis=0), vectors.T @ vectors / count,
                   {lang: float(h.mean()) for lang, h in hubness.items()},
                   {lang: float((h.astype(np.float64) ** 2).mean()) for lang, h in hubness.items()},
                   {lang: h.astype(np.float64) @ vectors / count for lang, h in hubness.items()})

    def cosine_mean(self, query: np.ndarray) -> float:
        return float(query @ self.mean)

    def dense_moments(self, query: np.ndarray, lang: str) -> tuple[float, float]:
        """Mean and standard deviation over the group of `cos − h`, h the hubness for questions in `lang`."""
        query = query.astype(np.float64)
        mean = query @ self.mean - self.hub_mean.get(lang, 0.0)
        square = query @ self.second @ query
        if lang in self.hub_cross:
            square += self.hub_square[lang] - 2 * query @ self.hub_cross[lang]
        return float(mean), float(np.sqrt(max(square - mean * mean, 0.0)))


@dataclass(frozen=True)
class DenseMoments:
    """`GroupMoments` for every chunk language with enough chunks, and for all chunks."""

    groups: dict[str, GroupMoments]
    overall: GroupMoments

    @classmethod
    def of(cls, vectors: np.ndarray, languages: np.ndarray, hubness: dict[str, np.ndarray]) -> DenseMoments:
        groups = {}
        for lang in sorted(set(languages.tolist())):
            member = languages == lang
            if member.sum() >= MIN_GROUP:
                groups[lang] = GroupMoments.of(vectors[member], {q: h[member] for q, h in hubness.items()})
        return cls(groups, GroupMoments.of(vectors, hubness))

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {}
        for key, group in {**{f"lang-{lang}": g for lang, g in self.groups.items()}, "all": self.overall}.items():
            arrays |= {f"{key}.count": np.array(group.count), f"{key}.mean": group.mean, f"{key}.second": group.second}
            for lang in group.hub_mean:
                arrays |= {f"{key}.hub-{lang}.mean": np.array(group.hub_mean[lang]),
                           f"{key}.hub-{lang}.square": np.array(group.hub_square[lang]),
                           f"{key}.hub-{lang}.cross": group.hub_cross[lang]}
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> DenseMoments:
        def group(key: str) -> GroupMoments:
            hubs = sorted({name.split(".")[1][4:] for name in arrays if name.startswith(f"{key}.hub-")})
            return GroupMoments(int(arrays[f"{key}.count"]), arrays[f"{key}.mean"], arrays[f"{key}.second"],
                                {lang: float(arrays[f"{key}.hub-{lang}.mean"]) for lang in hubs},
                                {lang: float(arrays[f"{key}.hub-{lang}.square"]) for lang in hubs},
                                {lang: arrays[f"{key}.hub-{lang}.cross"] for lang in hubs})

        langs = sorted({name.split(".")[0][5:] for name in arrays if name.startswith("lang-")})
        return cls({lang: group(f"lang-{lang}") for lang in langs}, group("all"))

    def of_group(self, lang: str) -> GroupMoments:
        """A language's moments; for a language too few chunks are in (or ""), all chunks' (as `Retriever.calibrated`)."""
        return self.groups.get(lang, self.overall)


def sparse_moments(values: np.ndarray, count: int) -> tuple[float, float]:
    """Mean and standard deviation over `count` scores of which only `values` are not zero."""
    if not count:
        return 0.0, 0.0
    values = values.astype(np.float64)
    mean = values.sum() / count
    return float(mean), float(np.sqrt(max((values * values).sum() / count - mean * mean, 0.0)))
