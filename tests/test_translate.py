"""The backends on tiny random models of each family: generation rules, batching, cache, bad input."""

from __future__ import annotations

import shutil
import unicodedata

import pytest
import torch

from vi2en.models import convert
from vi2en.backends import Hypothesis, ModelError, open_translator
from vi2en.backends.batching import length_batches
from vi2en.backends.forcing import MAX_PLACES, _Forcing, _places


def Translator(path, **options):
    return open_translator(path, backend="transformers", **options)


def CT2Translator(path, **options):
    return open_translator(path, backend="ctranslate2", **options)


load_translator = open_translator

SENTENCE = "Tỉnh ủy Nghệ An họp báo."

# What each family's model card asks for: (source language code, English code, where English is asked for)
FAMILY_RULES = {
    "m2m100": ("__vi__", "__en__", "forced_bos"),
    "nllb": ("vie_Latn", "eng_Latn", "forced_bos"),
    "mbart": ("vi_VN", "en_XX", "decoder_start"),
}


@pytest.mark.parametrize("family", sorted(FAMILY_RULES))
def test_language_codes_reach_the_model(family, family_models):
    source_code, english, where = FAMILY_RULES[family]
    translator = Translator(family_models[family], beam_size=1, max_length=5)
    ids = translator.encode(SENTENCE)
    tokens = translator.tokenizer.convert_ids_to_tokens(ids)
    assert tokens[0] == source_code and tokens[-1] == "</s>"

    english_id = translator.tokenizer.convert_tokens_to_ids(english)
    option = "forced_bos_token_id" if where == "forced_bos" else "decoder_start_token_id"
    position = 1 if where == "forced_bos" else 0  # after the decoder start token, or as it
    # max_length counts words: a forced language code is one more generated token
    out = translator.backend.model.generate(torch.tensor([ids]), num_beams=1, max_new_tokens=5 + position, **{option: english_id})
    assert out[0, position] == english_id
    # the same words, without the language code (a tokenizer may not count it as special)
    assert translator.translate([SENTENCE])[0].text == translator.tokenizer.decode(out[0, position + 1 :], skip_special_tokens=True).strip()
    without = translator.backend.model.generate(torch.tensor([ids]), num_beams=1, max_new_tokens=5)
    assert without[0, position] != english_id  # so the rule is what put English there


def test_t5_input_prefix(family_models):
    translator = Translator(family_models["t5"], beam_size=1, max_length=4)
    assert translator.tokenizer.convert_ids_to_tokens(translator.encode(SENTENCE))[0] == "<2en>"
    assert translator.describe()["family"] == "t5"
    assert translator.translate([SENTENCE])[0].token_logprobs


def test_source_limit_comes_from_the_model_not_the_output_length(tiny_model):
    assert Translator(tiny_model, max_length=8).model_max_tokens == 64


def test_batched_translation_keeps_input_order(tiny_model):
    sentences = ["Một câu ngắn.", "Đồng chí Hoàng Nghĩa Hiếu phát biểu tại buổi làm việc với các sở ngành.", "Chào bạn.", "Hôm nay trời đẹp và chúng tôi đi làm sớm."]
    batched = Translator(tiny_model, max_length=6, batch_size=8).translate(sentences)
    one_by_one = Translator(tiny_model, max_length=6, batch_size=1)
    assert [h.text for h in batched] == [one_by_one.translate([s])[0].text for s in sentences]
    assert all(h.token_logprobs and all(lp <= 0 for lp in h.token_logprobs) for h in batched)


def test_batches_run_side_by_side_come_back_in_input_order(converted):
    """With two CPU workers the batches run at once, each in its own thread: every sentence
    still gets the hypothesis of its own batch, as that batch alone gives it."""
    sentences = [f"Câu số {n} " + "rất dài " * (n % 7) + "về tỉnh Nghệ An." for n in range(23)]
    translator = CT2Translator(converted, max_length=6, batch_size=4, cpu_workers=2)
    assert translator.backend.concurrent_batches == 2
    batches = translator.batches([translator.encode(s) for s in sentences])
    assert len(batches) >= 6 and sorted(i for b in batches for i in b) == list(range(23))
    together = translator.translate(sentences)
    for batch in batches:
        alone = translator.backend.generate([translator.encode(sentences[i]) for i in batch])
        assert [together[i].ids for i in batch] == [h.ids for h in alone]
        assert [(together[i].search_logprob, together[i].end_attention) for i in batch] == [(h.search_logprob, h.end_attention) for h in alone]


def test_cpu_workers_default_to_the_cores_this_process_may_use(converted, monkeypatch):
    """One worker a core, never more than the affinity allows, nor than OMP_NUM_THREADS, which
    Ray sets to each actor's CPUs: a cluster's actors must not each take the whole machine."""
    import os

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert CT2Translator(converted).backend.concurrent_batches == min(8, len(os.sched_getaffinity(0)))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert CT2Translator(converted).backend.concurrent_batches == 1
    assert CT2Translator(converted, cpu_workers=3).backend.concurrent_batches == 3  # asked for: as asked


def test_length_batches_keep_each_batchs_padded_size_within_the_budget():
    lengths = [5, 40, 12, 12, 3, 33, 7, 40, 1, 19]
    batches = length_batches(lengths, 48, size=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(max(lengths[i] for i in b) * len(b) <= 48 and len(b) <= 3 for b in batches)
    assert [lengths[i] for b in batches for i in b] == sorted(lengths)  # similar lengths together: little padding
    assert [len(b) for b in length_batches([10] * 5, 48)] == [4, 1]
    assert length_batches([], 48) == []


def _count_generate_calls(translator) -> list[int]:
    """Spy on the model's generate (calls through): the batch size of each call."""
    calls = []
    real = translator.backend.model.generate

    def spy(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return real(*args, **kwargs)

    translator.backend.model.generate = spy
    return calls


def test_identical_segments_are_translated_once_per_run(tiny_model):
    translator = Translator(tiny_model, max_length=6)
    calls = _count_generate_calls(translator)
    nfd_variant = unicodedata.normalize("NFD", "Tỉnh uỷ  Nghệ An họp báo.")  # other tone placement, spacing, Unicode form
    done = []
    first = translator.translate([SENTENCE, "Chào bạn.", SENTENCE, nfd_variant], progress=done.append)
    assert sum(calls) == 2 and sum(done) == 4
    assert first[0].text == first[2].text == first[3].text
    again = translator.translate(["Chào bạn.", SENTENCE])  # a second document in the same run
    assert sum(calls) == 2 and [h.text for h in again] == [first[1].text, first[0].text]
    assert translator.translate(["tỉnh ủy Nghệ An họp báo."]) and sum(calls) == 3  # case is not folded


def test_overlong_sentence_is_translated_in_parts_not_cut(tiny_model):
    translator = Translator(tiny_model, max_length=3, beam_size=1)
    sentence = " ".join(["Đồng chí Hoàng Nghĩa Hiếu phát biểu tại hội nghị tỉnh."] * 150)
    assert translator.count_tokens(sentence) > 2000
    hyp, short = translator.translate([sentence, "Chào bạn."])
    texts, pieces = translator.split(sentence)
    assert hyp.parts == len(pieces) >= translator.count_tokens(sentence) // 64 and short.parts == 1
    assert hyp.pieces == texts and " ".join(texts) == sentence  # cut between clauses or words, nothing lost
    assert len(hyp.token_logprobs) >= 2 * hyp.parts  # every part was translated (3 tokens at most each)
    assert all(len(p) <= 64 and p[-1] == translator.tokenizer.eos_token_id for p in pieces)


def test_parts_join_into_one_hypothesis_with_the_searches_scores_weighted_by_length():
    """A sentence translated in parts gets one confidence: each part's search score counts by its
    tokens (the end token included), so a long part weighs more than a short one."""
    from vi2en.backends.batching import join

    parts = [Hypothesis("One.", ids=[5], search_logprob=-1.0), Hypothesis("Two three four.", ids=[6, 7, 8], search_logprob=-2.0)]
    joined = join(parts, ["Một.", "Hai ba bốn."])
    assert joined.text == "One. Two three four." and joined.ids == [5, 6, 7, 8] and joined.parts == 2
    assert joined.mean_logprob == pytest.approx((-1.0 * 2 - 2.0 * 4) / 6)
    assert join([parts[0], Hypothesis("Two.", ids=[6])], ["Một.", "Hai."]).mean_logprob is None  # a part without a score: none


def test_a_single_word_longer_than_the_model_takes_is_cut_between_tokens(tiny_model):
    translator = Translator(tiny_model, max_length=3, beam_size=1)
    word = "Nghệ" * 200  # no space, comma or word boundary to cut at
    texts, pieces = translator.split(word)
    assert texts == [word] and len(pieces) > 1
    assert all(len(p) <= 64 and p[-1] == translator.tokenizer.eos_token_id for p in pieces)
    assert [t for p in pieces for t in p[:-1]] == translator.encode(word)[:-1]  # every source token in one part, in order
    assert translator.translate([word])[0].parts == len(pieces)


def test_out_of_memory_splits_the_batch_and_loses_nothing(tiny_model):
    sentences = ["Một câu ngắn.", "Chào bạn.", "Hôm nay trời đẹp.", "Tôi đi làm.", "Họp báo chiều nay."]
    expected = [h.text for h in Translator(tiny_model, max_length=5).translate(sentences)]
    translator = Translator(tiny_model, max_length=5)
    real = translator.backend.model.generate

    def small_device(*args, **kwargs):  # a device that fits two sentences at a time
        if kwargs["input_ids"].shape[0] > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(*args, **kwargs)

    translator.backend.model.generate = small_device
    assert [h.text for h in translator.translate(sentences)] == expected


def test_out_of_memory_on_one_sentence_is_a_clear_error(tiny_model):
    translator = Translator(tiny_model, max_length=5)

    def no_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory.")

    translator.backend.model.generate = no_memory
    with pytest.raises(ModelError, match="out of memory translating one sentence of .* tokens"):
        translator.translate(["Chào bạn."])


@pytest.fixture(scope="module")
def converted(tiny_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ct2") / "tiny"
    shutil.copytree(tiny_model, folder)
    convert(folder)
    return folder


def test_ct2_backend_is_chosen_when_converted_and_gives_its_beam_score(converted, tiny_model):
    translator = load_translator(converted, max_length=6)
    assert translator.backend.name == "ctranslate2"
    assert translator.describe() | {"path": ""} == {"name": "tiny", "path": "", "family": "marian", "backend": "ctranslate2", "device": "cpu", "beam_size": 4, "compute_type": "int8", "shortlist": False}
    assert load_translator(tiny_model).backend.name == "transformers"  # no copy: transformers
    sentences = ["Chào bạn.", "Đồng chí Hoàng Nghĩa Hiếu phát biểu tại buổi làm việc.", "Chào bạn."]
    hyps = translator.translate(sentences)
    assert len(hyps) == 3 and hyps[0] is hyps[2]
    # the confidence is the search's own score (mean log-prob, length penalty 1): no second pass;
    # the attention signals come with the search too
    assert all(hyp.text and not hyp.token_logprobs and hyp.mean_logprob == hyp.search_logprob < 0 for hyp in hyps)
    assert all(0 <= hyp.end_attention <= 1 and hyp.attention_entropy >= 0 and 0 < hyp.coverage <= 1 for hyp in hyps)
    # the score is CTranslate2's own, compared on a batch of the same one sentence (a batch's
    # floats depend on its neighbours, which another CPU may round otherwise)
    tokens = translator.tokenizer.convert_ids_to_tokens(translator.encode(sentences[1]))
    result = translator.backend.model.translate_batch([tokens], beam_size=4, max_decoding_length=6, return_scores=True)[0]
    alone = translator.backend.generate([translator.encode(sentences[1])])[0]
    assert alone.mean_logprob == pytest.approx(result.scores[0], abs=1e-3)


def test_ct2_backend_needs_a_copy(tiny_model):
    with pytest.raises(ModelError, match="no CTranslate2 copy in ct2-int8/"):
        load_translator(tiny_model, backend="ctranslate2")


def test_unsupported_and_incomplete_model_folders(tiny_model, tmp_path):
    bert = tmp_path / "bert"
    bert.mkdir()
    (bert / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    with pytest.raises(ModelError, match=r"bert: unsupported architecture 'bert'.*supported: m2m_100, marian, mbart, t5"):
        load_translator(bert)
    no_weights = tmp_path / "no-weights"
    shutil.copytree(tiny_model, no_weights, ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(ModelError, match=r"no-weights: no model weights"):
        load_translator(no_weights)
    no_tokenizer = tmp_path / "no-tokenizer"
    shutil.copytree(tiny_model, no_tokenizer, ignore=shutil.ignore_patterns("*.spm", "tokenizer_config.json"))
    with pytest.raises(ModelError, match=r"no-tokenizer: no tokenizer files"):
        load_translator(no_tokenizer)


def test_ct2_backend_asks_for_english_like_transformers(family_models, tmp_path):
    folder = tmp_path / "nllb"
    shutil.copytree(family_models["nllb"], folder)
    convert(folder)
    sentences = [SENTENCE, "Chào bạn."]
    ct2 = CT2Translator(folder, beam_size=1, max_length=5)
    tokens = ct2.tokenizer.convert_ids_to_tokens(ct2.encode(SENTENCE))
    raw = ct2.backend.model.translate_batch([tokens], target_prefix=[["eng_Latn"]], beam_size=1, max_decoding_length=6)[0].hypotheses[0]
    assert raw[0] == "eng_Latn"
    expected = [h.text for h in Translator(folder, beam_size=1, max_length=5).translate(sentences)]
    assert [h.text for h in ct2.translate(sentences)] == expected  # same words, language code and length limit


def test_convert_failure_is_one_clear_error(family_models, tmp_path):
    folder = tmp_path / "mbart"
    shutil.copytree(family_models["mbart"], folder)
    # CTranslate2 4.8's converter does not read transformers 5's MBartConfig (no normalize_before)
    with pytest.raises(ModelError, match=r"mbart: cannot convert to CTranslate2 \(.*normalize_before"):
        convert(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in family_models["mbart"].iterdir())  # nothing left behind


def _forcing_translators(tiny_model, converted, family_models, tmp_path_factory):
    yield "marian", Translator(tiny_model, beam_size=2, max_length=6)
    yield "marian-ct2", CT2Translator(converted, beam_size=2, max_length=6)
    for family, folder in sorted(family_models.items()):
        yield family, Translator(folder, beam_size=2, max_length=6)
    nllb = tmp_path_factory.mktemp("force") / "nllb"
    shutil.copytree(family_models["nllb"], nllb)
    convert(nllb)
    yield "nllb-ct2", CT2Translator(nllb, beam_size=2, max_length=6)


def test_force_puts_every_required_string_into_any_models_output(tiny_model, converted, family_models, tmp_path_factory):
    """Random weights never produce the terms by themselves: each one here is forced, at a word start."""
    sentences = [SENTENCE, "Đồng chí Hoàng Nghĩa Hiếu phát biểu."]
    for name, translator in _forcing_translators(tiny_model, converted, family_models, tmp_path_factory):
        required = [["Nghe An", "Party"], ["Hieu"]]
        plain = translator.translate(sentences)
        assert not any(r in h.text for h, needs in zip(plain, required) for r in needs), name
        forced = translator.force(sentences, required)
        for hyp, needs in zip(forced, required):
            for term in needs:
                assert term in hyp.text, (name, hyp.text)
                assert hyp.text.startswith(term) or f" {term}" in hyp.text, (name, hyp.text)  # never glued into a word
        for hyp, own in zip(forced, plain):  # what the quality score reads stays the model's own
            assert (hyp.token_logprobs, hyp.search_logprob, hyp.alternatives, hyp.coverage, hyp.end_attention) == (own.token_logprobs, own.search_logprob, own.alternatives, own.coverage, own.end_attention), name
            assert hyp.mean_logprob is not None, name
        assert [h.text for h in translator.translate(sentences)] == [h.text for h in plain]  # the cache holds the model's own output


def test_force_with_nothing_to_put_in_returns_the_models_own_output(tiny_model, converted, family_models, tmp_path_factory):
    """A batch where no sentence needs forcing (no terms, or terms already there) changes nothing
    (CI once failed here on an empty re-scoring call)."""
    sentences = [SENTENCE, "Đồng chí Hoàng Nghĩa Hiếu phát biểu."]
    for name, translator in _forcing_translators(tiny_model, converted, family_models, tmp_path_factory):
        plain = translator.translate(sentences)
        assert [h.text for h in translator.force(sentences, [[], []])] == [h.text for h in plain], name
        present = [[plain[0].text.split()[0]], []] if plain[0].text.split() else [[], []]
        assert [h.text for h in translator.force(sentences, present)] == [h.text for h in plain], name


def test_force_puts_the_term_where_the_english_reads_best(converted):
    """Of the places forcing tries, the one where the project's English LM finds the whole
    English (the term spliced in, the rest of the model's sentence kept) most fluent wins:
    compared with each place's fluency by hand. No model call is made to choose."""
    from vi2en.quality import english_lm

    from vi2en.text import match_key

    translator = CT2Translator(converted, beam_size=1, max_length=6)
    sentence = "Chào bạn."
    # the model's English is set here, in the translator's cache, not left to a random model
    # whose output another CPU may round differently
    english = "The meeting of the province opened today."
    translator._cache[match_key(sentence, fold_case=False)] = Hypothesis(english, ids=translator.folder.encode_target(english))
    hyp = translator.translate([sentence])[0]
    term, places = _places(translator.folder, _Forcing(sentence, hyp, ["Party"]))
    assert term == translator.folder.encode_target("Party") and len(places) >= 2
    spliced = [hyp.ids[:at] + term + hyp.ids[at:] for at in places]
    by_hand = [english_lm().fluency(translator.folder.decode(ids)) for ids in spliced]
    calls = []
    generate = translator.backend.generate
    translator.backend.generate = lambda sources: calls.append(sources) or generate(sources)
    forced = translator.force([sentence], [["Party"]])[0]
    assert forced.ids == spliced[by_hand.index(max(by_hand))] and not calls  # the cache, then no model
    assert len(set(by_hand)) > 1  # the places did differ, so the choice was the LM's


class _Pieces:
    """A model folder's target side reduced to what `_places` reads: one-piece words."""

    max_input_tokens = 64

    def encode_target(self, text):
        return [99]

    def pieces(self, ids):
        return ["▁w"] * len(ids)


def test_force_tries_only_places_near_the_terms_place_in_the_source():
    """Word order differs within phrases, rarely across the sentence: a term at the end of the
    source is tried near the end of the translation, not at its start."""
    hyp = Hypothesis("w " * 10, ids=list(range(10)))
    sentence = "một hai ba bốn năm sáu bảy tám chín Party"
    _, places = _places(_Pieces(), _Forcing(sentence, hyp, ["Party"]))
    assert MAX_PLACES == 2 and places == [8, 9]  # the two word starts closest to 0.88 of the way
    _, at_start = _places(_Pieces(), _Forcing("Party " + sentence[:-6], hyp, ["Party"]))
    assert at_start == [0, 1]


def test_a_string_put_in_is_never_split_by_the_next():
    """A term of several pieces put in stays whole: the next string goes before or after it."""
    class Folder(_Pieces):
        def decode(self, ids):
            return " ".join(map(str, ids))

    f = _Forcing("Party ở đây", Hypothesis("w " * 4, ids=[1, 2, 3, 4]), ["Party", "here"])
    f.put(2, [7, 8, 9], Folder().decode([1, 2, 7, 8, 9, 3, 4]))
    assert f.ids == [1, 2, 7, 8, 9, 3, 4] and f.placed == [(2, 5)]
    _, places = _places(Folder(), f)
    assert not {3, 4} & set(places)
    f.put(0, [5], Folder().decode([5, 1, 2, 7, 8, 9, 3, 4]))
    assert f.placed == [(3, 6), (0, 1)] and f.ids == [5, 1, 2, 7, 8, 9, 3, 4]


def test_ct2_backend_follows_the_models_generation_rules(converted, tmp_path):
    """transformers applies generation_config.json by itself; CTranslate2 must be told (loop control, minimum length)."""
    import json

    def repeated_bigrams(ids):
        pairs = list(zip(ids, ids[1:]))
        return len(pairs) - len(set(pairs))

    sentences = ["Chào bạn.", "Đồng chí Hoàng Nghĩa Hiếu phát biểu tại buổi làm việc."]
    looping = CT2Translator(converted, beam_size=2, max_length=30).translate(sentences)
    assert any(repeated_bigrams(h.ids) for h in looping)  # random weights loop
    folder = tmp_path / "tiny"
    shutil.copytree(converted, folder)
    config = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    (folder / "generation_config.json").write_text(json.dumps({**config, "no_repeat_ngram_size": 2, "min_new_tokens": 25}), encoding="utf-8")
    capped = CT2Translator(folder, beam_size=2, max_length=30).translate(sentences)
    assert all(repeated_bigrams(h.ids) == 0 and len(h.ids) >= 25 for h in capped)


def test_ct2_backend_applies_the_models_repetition_penalty(converted, tmp_path):
    """A penalty this large leaves no token the model may repeat while others are left."""
    import json

    folder = tmp_path / "tiny"
    shutil.copytree(converted, folder)
    config = json.loads((folder / "generation_config.json").read_text(encoding="utf-8"))
    (folder / "generation_config.json").write_text(json.dumps({**config, "repetition_penalty": 1e6, "no_repeat_ngram_size": 0}), encoding="utf-8")
    penalised = CT2Translator(folder, beam_size=1, max_length=20).translate(["Chào bạn.", "Đồng chí Hoàng Nghĩa Hiếu phát biểu tại buổi làm việc."])
    assert all(len(h.ids) == len(set(h.ids)) > 3 for h in penalised)
