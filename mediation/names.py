"""Names compared for 回避: "王 立言" is 王立言, "江西豫章律師事務所有限公司" is the firm 江西豫章律师事务所.

A leaf module (no models). Folding: Unicode NFKC (full-width letters, digits and punctuation to
half-width), traditional to simplified Chinese (OpenCC, the maintained converter), no spaces,
punctuation or symbols, lower case. Organisations are compared on their name without the
legal-form suffixes, stripped repeatedly ("…律师事务所有限公司" loses both).
"""

import functools
import unicodedata

import opencc

# Longest first, so 有限责任公司 goes before 公司 would leave 有限责任.
LEGAL_FORMS = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "分公司",
        "公司",
        "集团",
        "律师事务所",
        "事务所",
        "特殊普通合伙",
        "普通合伙",
        "有限合伙",
        "协会",
        "商会",
        "基金会",
        "研究会",
        "促进会",
        "服务中心",
        "中心",
        "工作室",
        "合作社",
        "个体工商户",
        "门店",
        "店",
    ],
    key=len,
    reverse=True,
)


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(name: str) -> str:
    """A person's or organisation's name as compared: folded, without spaces or punctuation."""
    text = unicodedata.normalize("NFKC", name or "")
    text = _converter().convert(text)
    kept = (ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")
    return "".join(kept).lower()


def organisation_core(name: str) -> str:
    """An organisation's name without its legal form; the folded name when nothing else is left."""
    folded = normalise(name)
    core = folded
    stripped = True
    while stripped:
        stripped = False
        for suffix in LEGAL_FORMS:
            if core.endswith(suffix) and len(core) > len(suffix):
                core = core[: -len(suffix)]
                stripped = True
                break
    return core or folded
