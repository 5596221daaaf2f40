"""Definition questions ("什么是X？", "What is X?") and the sentences that define X."""

from qa.definitions import asked_term, by_meaning, defined_term, defines, is_short_term, meaning_variants, term_words
from qa.questions import answer_kind


def test_definition_questions_name_the_asked_term_without_its_modifiers():
    assert asked_term("什么是数字势差？") == "数字势差"
    assert asked_term("数字投资鸿沟是什么？") == "数字投资鸿沟"
    assert asked_term("城乡之间的数字鸿沟的含义是什么？") == "数字鸿沟"
    assert asked_term("What is the digital potential difference between urban and rural areas?") == \
        "digital potential difference"
    assert asked_term("What does reverse differential governance mean?") == "reverse differential governance"
    # Who does the defining may be named, and the definition asked for in other words.
    for question in ("How does the paper define digital potential difference?", "How is digital potential difference "
                     "defined in the paper?", "What is the definition of digital potential difference?",
                     "What do the authors mean by digital potential difference?"):
        assert asked_term(question) == "digital potential difference", question
    for question in ("文章如何定义数字势差？", "作者是如何界定数字势差的？", "数字势差是如何定义的？", "数字势差指什么？",
                     "什么叫做数字势差？"):
        assert asked_term(question) == "数字势差", question
    assert asked_term("What does the digital production divide refer to?") == "digital production divide"
    assert asked_term("Define the digital talent divide.") == "digital talent divide"
    for other in ("鑫诺卫星通信有限公司是什么性质的公司？", "城乡数字鸿沟有哪些表现？", "Who chairs the IPCC?",
                  "What does the author argue?", "What does the paper say about training farmers?",
                  "What is the name of the French colony established in 1564?", "What is another name for State Route 168?",
                  "What is the scale used to measure the strength of hurricanes called?"):
        assert asked_term(other) is None, other
    assert answer_kind("什么是数字势差？") == "definition"
    # A more specific kind wins: "what is the percentage" asks for a number.
    assert answer_kind("What is the percentage of rural households online?") == "number"


def test_defining_sentences_open_with_their_term_and_a_copula():
    assert defined_term("数字势差是“二元结构”与数字挤兑、数字鸿沟相结合的产物。") == "数字势差"
    assert defined_term("数字投资鸿沟是指促进用于数字设备……的非均质分布现象。") == "数字投资鸿沟"
    assert defined_term("显微镜学（Microscopy）是使用显微镜观察物体的一个技术领域。") == "显微镜学"
    assert defined_term("The digital divide refers to unequal access to technology.") == "digital divide"
    # A quoted term may follow a short modifier: the term is what the quotes hold.
    assert defined_term("城乡“逆差序智治”意指在共同富裕理念的指引下……") == "逆差序智治"
    assert defined_term("城乡系统对技术的“弱反馈结构”是指通过网络信息技术的“强渗透性”……") == "弱反馈结构"
    # A negated copula defines nothing.
    assert defined_term("逆差序智治并非是将城乡资源、收入和人才等要素进行“拉平式”分配") is None
    assert defined_term("西藏不是所有僧徒都可以叫喇嘛。") is None
    assert defined_term("据估计，该市人口为853,382人。") is None


def test_a_definition_must_be_of_the_asked_term():
    asked = {"数字": 0.2, "势差": 3.0, "城乡": 1.0}
    assert defines(term_words("数字势差"), asked)
    assert not defines(term_words("数字势差的本质"), asked)  # 本质 was not asked
    assert not defines(term_words("数字"), asked)  # too little of what was asked
    # English keeps its function words: "a further type of committee" does not define "committees".
    assert not defines(term_words("further type of committee"), {"committe": 3.0})
    assert defines(term_words("Committees"), {"committe": 3.0})


def test_only_short_terms_are_matched_by_meaning_and_only_a_clear_winner():
    assert is_short_term("digital talent divide") and is_short_term("数字通才鸿沟")
    # A clause read as a term matches anything by meaning.
    assert not is_short_term("如果说农村信息化空间的优化") and not is_short_term("环保主义者担心的")
    assert not is_short_term("term") and not is_short_term("proprietary system that Sky+HD uses in Europe")
    assert meaning_variants("weak feedback structure of the urban-rural system") == ["weak feedback structure"]
    assert meaning_variants("strong permeability of the technology system") == [
        "strong permeability of the technology system", "strong permeability"]
    assert by_meaning({"数字投资鸿沟": 0.82, "数字生产鸿沟": 0.79}) == "数字投资鸿沟"
    assert by_meaning({"数字投资鸿沟": 0.82, "数字生产鸿沟": 0.815}) is None  # no clear winner
    assert by_meaning({"数字投资鸿沟": 0.79}) is None  # not close enough
    assert by_meaning({}) is None
