"""Speed and memory of `app.engine.score` on a realistic 1,500-word Russian sales call.

What it measures
----------------
* A real-estate phone call (manager + client, plain text with `Менеджер:` / `Клиент:`
  prefixes and punctuation) is built deterministically: a fixed opening and closing around
  manager/client exchanges drawn in a seeded random order, without repeats until the pool
  runs out, from a pool of 39 exchanges (~80 lines: questions about district, budget,
  floors, family, the dream apartment; a few forbidden phrases such as "я не знаю",
  "перезвоните позже", "вы должны", and a negated "вы не должны" that is no hit;
  presentation monologues), until the call has about `--words` (1,500) spoken words; the
  exact count is printed. The same call is also scored as speech-to-text output:
  lowercase, no punctuation (the `менеджер:` / `клиент:` labels stay).
* For each variant: the cold first call (in a fresh process this loads the pymorphy3
  dictionaries and fills the lemma caches; reported separately), then `--repeat` runs (3)
  of `--runs` timed calls of `score(text)` each with the default checklist `realty_phone` on
  one core: the median of each run, and over all the runs' calls the median, p95, mean ms
  per call and calls/s (1000 / median).
* A naive baseline in the same run, timed the same way: for every utterance of the call,
  rapidfuzz `fuzz.partial_ratio` of every forbidden-phrase variant (the checklist's pattern
  strings with `=` dropped and `a|b` alternatives expanded into plain strings) against the
  lowercased utterance, threshold 80. The threshold is passed as `score_cutoff`, which only
  lets rapidfuzz stop early, so the baseline gets its best case and the speed-up (baseline
  median / engine median, printed for information) is the conservative one.
  The literal form, `partial_ratio(...) >= 80` without a cutoff, is timed too and printed
  for information. Either is phrase matching alone, without questions, prices or items.
* Masking (issue 12, `CALLQA_MASK`): what ingest adds when it is on, the scored result and the
  text as sent masked (`Masker.mask_result`, `Masker.mask_value`), timed the same way and
  printed as its median and its share of the engine's median. The bench call holds no
  personal data, so this is the cost of looking for it, which every call pays.
* Peak RSS (`ru_maxrss`) before importing the engine and after all runs, dictionaries
  loaded.

Targets (printed as PASS/MISS, never asserted; the exit code is 0 either way): median
≤ 2 ms per 1,500-word call on one core over 3 runs, text and speech-to-text (issue 13), and
peak RSS ≤ 150 MB. Issue 13 also asks for ≤ 1.25x the engine before a change: that compares
two checkouts, so the bench prints its medians and the comparison is made by running it on
both in the same minutes (a shared machine drifts). The speed-up over the naive baseline is
information only: issue 13 withdrew its earlier 50x target.

Run it
------
    uv run python bench/engine.py                 # readable report, 3 runs of 300 calls
    uv run python bench/engine.py --runs 1000     # more calls a run
    uv run python bench/engine.py --repeat 1      # one run
    uv run python bench/engine.py --json          # the figures as one JSON object
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/engine.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

TARGET_MEDIAN_MS = 2.0
TARGET_RUNS = 3  # issue 13: the median over 3 runs
TARGET_BEFORE_RATIO = 1.25  # issue 13: at most this times the engine before a change
TARGET_PEAK_RSS_MB = 150.0
BASELINE_THRESHOLD = 80.0

MANAGER = "Менеджер"
CLIENT = "Клиент"

# --- The call ------------------------------------------------------------------------------

OPENING: tuple[tuple[str, str], ...] = (
    (
        MANAGER,
        "Добрый день! Агентство недвижимости «Новый адрес», меня зовут Анна, я специалист "
        "по новостройкам. Предупреждаю, что наш разговор записывается для контроля качества. "
        "Как я могу к вам обращаться?",
    ),
    (CLIENT, "Здравствуйте, меня зовут Сергей. Я оставлял заявку на сайте по трёхкомнатным."),
    (MANAGER, "Очень приятно, Сергей! Да, вижу вашу заявку. Вам удобно сейчас говорить?"),
    (CLIENT, "Да, удобно, минут пятнадцать у меня есть."),
)

CLOSING: tuple[tuple[str, str], ...] = (
    (
        MANAGER,
        "Сергей, давайте договоримся о просмотре: я покажу вам две-три подходящие квартиры "
        "в шоуруме застройщика. Вам удобно в субботу в одиннадцать часов?",
    ),
    (CLIENT, "Да, суббота подходит, в одиннадцать сможем подъехать всей семьёй."),
    (
        MANAGER,
        "Отлично, записала вас на субботу на одиннадцать. Адрес шоурума и планировки пришлю "
        "в телеграм сегодня до вечера. Спасибо за звонок, до встречи!",
    ),
    (CLIENT, "Спасибо, до свидания."),
)

# Each exchange is a manager line and the client's answer; the seeded random orders them.
EXCHANGES: tuple[tuple[str, str], ...] = (
    (
        "Подскажите, пожалуйста, какой район вы рассматриваете в первую очередь?",
        "Мы смотрим в сторону Приморского района, может быть Выборгский, главное, чтобы "
        "рядом было метро и парк.",
    ),
    (
        "А какой бюджет вы для себя определили на покупку?",
        "Рассчитываем примерно на десять-одиннадцать миллионов, часть будет ипотека, часть "
        "своих денег от продажи старой квартиры.",
    ),
    (
        "Какой этаж для вас предпочтителен? Высокие этажи рассматриваете?",
        "Не первый и не последний, где-то с пятого по двенадцатый. Жена боится высоты, "
        "поэтому выше пятнадцатого точно нет.",
    ),
    (
        "Сколько человек будет жить в квартире?",
        "Нас четверо: я, супруга и двое детей. Ещё иногда приезжает тёща, погостить на "
        "месяц-другой.",
    ),
    (
        "А сколько лет детям? В какую школу они ходят?",
        "Старшему девять, младшей четыре. Старший ходит в гимназию на Комендантском, "
        "хотелось бы её не менять.",
    ),
    (
        "Где вы сейчас живёте и почему решили переехать?",
        "Сейчас живём в двушке на Гражданке, сорок восемь метров. Стало тесно, дети растут, "
        "каждому нужна своя комната.",
    ),
    (
        "Расскажите, какой вы видите квартиру своей мечты?",
        "Честно говоря, мечтаем о большой кухне-гостиной, чтобы собираться всей семьёй, и о "
        "двух санузлах. И чтобы из окна было видно воду или хотя бы деревья.",
    ),
    (
        "Что для вас самое важное при выборе новой квартиры?",
        "Наверное, инфраструктура: школа, садик, поликлиника рядом. И чтобы дом был "
        "кирпично-монолитный, а не панель.",
    ),
    (
        "Смотрите, в нашем жилом комплексе как раз есть то, что вы описываете. Это "
        "монолитно-кирпичные дома от девяти до четырнадцати этажей, закрытый двор без "
        "машин, своя школа на восемьсот мест и два детских сада прямо на территории. До "
        "метро десять минут пешком, рядом Юнтоловский заказник, там хорошие дорожки для "
        "прогулок. В трёхкомнатных квартирах кухни-гостиные от восемнадцати метров, у "
        "большинства планировок два санузла и гардеробная. Потолки три метра, окна в пол, "
        "лоджии застеклены. Сдача первой очереди уже прошла, люди живут, так что можно "
        "приехать и посмотреть всё вживую, а не по картинкам.",
        "Звучит интересно. А что с парковкой, хватает мест?",
    ),
    (
        "С парковкой там решено хорошо: под каждым корпусом подземный паркинг, из лифта "
        "можно спуститься прямо к машине. Гостевые места вынесены за периметр двора, поэтому "
        "во дворе тихо и безопасно для детей. Машиноместа продаются отдельно, их можно "
        "купить сразу вместе с квартирой или позже, когда дом сдадут.",
        "Понятно. А сколько стоит машиноместо, если брать сразу?",
    ),
    (
        "Я не знаю точно, сколько сейчас стоит машиноместо, это у застройщика надо уточнять.",
        "Хорошо, но хотелось бы понимать заранее, чтобы заложить в бюджет.",
    ),
    (
        "Подождите минуточку, я посмотрю в базе, что у нас есть по трёшкам.",
        "Да, конечно, жду.",
    ),
    (
        "Вы должны понимать, что хорошие планировки разбирают быстро, поэтому решение лучше "
        "принимать сейчас.",
        "Мы не торопимся, хотим сначала всё хорошо посмотреть и сравнить.",
    ),
    (
        "Перезвоните позже, ближе к вечеру, тогда будет информация по акциям.",
        "А вы сами не можете перезвонить? Я днём на работе, мне неудобно.",
    ),
    (
        "Как я уже говорил, в этом доме сдача в четвёртом квартале следующего года.",
        "А если сдачу перенесут? Такое часто бывает у застройщиков.",
    ),
    (
        "Вы не должны ничего платить заранее, бронь у нас бесплатная на три дня.",
        "Это хорошо, а то в прошлый раз с нас взяли деньги за бронирование.",
    ),
    (
        "А как у вас с ипотекой: уже есть одобрение от банка?",
        "Одобрение есть в Сбербанке, под семейную ипотеку, но ставку хотим посмотреть ещё "
        "в других банках.",
    ),
    (
        "Старую квартиру планируете продавать до покупки или параллельно?",
        "Я не знаю, как лучше. Наверное, параллельно, но боимся остаться без жилья на "
        "какое-то время.",
    ),
    (
        "Это частая ситуация, и у нас для неё есть альтернативная сделка. Наш специалист по "
        "вторичному рынку оценит вашу квартиру, подготовит её к продаже и найдёт покупателя, "
        "а мы в это время забронируем новую квартиру на ваших условиях. Деньги от продажи "
        "сразу идут на первый взнос, и вы переезжаете, не снимая жильё. Всё сопровождает "
        "один юрист, так что документы не потеряются между двумя сделками.",
        "Да, это было бы удобно, если всё состыкуется по срокам.",
    ),
    (
        "Какая площадь кухни вам нужна? Готовы рассмотреть кухню-гостиную?",
        "Кухня минимум двенадцать метров, а лучше кухня-гостиная метров двадцать.",
    ),
    (
        "Есть ли у вас домашние животные?",
        "Да, собака, лабрадор. Поэтому хотим, чтобы рядом был парк или хотя бы сквер для прогулок.",
    ),
    (
        "Вы работаете в центре? Сколько времени готовы тратить на дорогу?",
        "Я работаю на Петроградской, жена удалённо. До часа на дорогу нормально, больше уже "
        "тяжело.",
    ),
    (
        "Балкон или лоджия для вас принципиальны?",
        "Лоджия желательна, застеклённая. Жена хочет сделать там маленький зимний сад.",
    ),
    (
        "По планировкам могу предложить три варианта. Первый: классическая трёшка, семьдесят "
        "два метра, кухня-гостиная девятнадцать, две спальни и детская, окна на две "
        "стороны. Второй: евротрёшка поменьше, шестьдесят метров, но с мастер-спальней и "
        "своим санузлом при ней. Третий: угловая квартира на верхних этажах с панорамными "
        "окнами и большой лоджией, она светлее всех, но и дороже. Для семьи с двумя детьми "
        "и собакой я бы смотрела первый вариант, там комнаты изолированы и есть кладовая "
        "для коляски и велосипедов.",
        "А можно посмотреть эти планировки заранее, до встречи?",
    ),
    (
        "Конечно, я отправлю вам планировки на почту или в мессенджер. Как вам удобнее?",
        "Лучше в телеграм, на этот же номер.",
    ),
    (
        "Рассматриваете только новостройки или вторичку тоже?",
        "Вторичку смотрели, но там ремонт нужен, а у нас нет времени этим заниматься.",
    ),
    (
        "Какая отделка вам нужна: черновая, предчистовая или под ключ?",
        "Лучше предчистовая, чтобы сделать ремонт под себя, но без пыли и штукатурки.",
    ),
    (
        "Про инфраструктуру скажу отдельно. Школа уже работает, в этом году набрали пять "
        "первых классов, есть углублённый английский и робототехника. Детский сад открыт "
        "прямо во дворе второго корпуса, забирать ребёнка можно за пять минут. На первых "
        "этажах аптека, продуктовый, пекарня и пункты выдачи заказов, поликлиника в десяти "
        "минутах на машине. Для собачников сделали отдельную площадку за домом, чтобы не "
        "пересекаться с детскими площадками.",
        "Сад прямо во дворе это большой плюс для младшей.",
    ),
    (
        "Что вам не понравилось в тех квартирах, которые вы уже смотрели?",
        "В одной были окна на шумную трассу, в другой слишком маленькие комнаты, в детской "
        "даже шкаф не встанет.",
    ),
    (
        "Кто в семье принимает решение о покупке?",
        "Решаем вместе с женой, но последнее слово, конечно, за ней.",
    ),
    (
        "Не волнуйтесь, с документами мы всё сделаем сами, вам останется только подписать.",
        "Хорошо бы, а то в прошлый раз полгода бегали по инстанциям.",
    ),
    (
        "По ипотеке сейчас самый выгодный вариант для вас именно семейная программа, раз "
        "младшему ребёнку нет шести лет. Она действует на новостройки, в том числе на дома, "
        "которые ещё строятся, ставка фиксируется на весь срок кредита. Первоначальный "
        "взнос от двадцати процентов, и его можно закрыть деньгами от продажи вашей "
        "квартиры. Плюс у застройщика есть субсидированная ставка на первые два года, "
        "платёж в это время получается заметно ниже. Наши ипотечные специалисты подают "
        "заявку сразу в несколько банков, так что одобрение обычно приходит за два-три дня, "
        "и вам не нужно ездить по отделениям.",
        "А семейная ипотека точно распространяется на этот дом, если он ещё строится?",
    ),
    (
        "Отдельно расскажу про приёмку, потому что на ней многие теряют нервы и деньги. "
        "Когда дом сдают, мы выезжаем на осмотр квартиры вместе с вами и с независимым "
        "техническим специалистом. Он проверяет стены, окна, стяжку, вентиляцию и "
        "электрику, и всё, что найдёт, мы вносим в акт. Застройщик обязан устранить "
        "замечания до подписания передаточного акта, а мы следим за сроками и приезжаем на "
        "повторный осмотр. Для наших клиентов эта услуга входит в сопровождение сделки.",
        "Приёмка это как раз то, чего мы больше всего боимся, честно говоря.",
    ),
    (
        "Как вы видите свой обычный день в новой квартире, что для вас там главное?",
        "Утром отвести младшую в сад, старшего в школу, потом я на машине на работу. Вечером "
        "хочется выйти с собакой в парк, а не стоять в пробке. И чтобы у каждого был свой "
        "угол: у меня кабинет, у детей по комнате.",
    ),
    (
        "Планируете ли расширение семьи в ближайшие годы?",
        "Не исключаем, поэтому и смотрим трёшку, а не двушку, чтобы потом не переезжать снова.",
    ),
    (
        "Сколько квартир вы уже посмотрели и в каких комплексах?",
        "Штук семь, наверное. Были в двух комплексах на Парнасе и в одном в Мурино, но там "
        "везде слишком плотная застройка и маленькие дворы, детям гулять негде.",
    ),
    (
        "Бывают ли у вас гости с ночёвкой, нужна ли отдельная гостевая комната?",
        "Подождите секунду, жена подсказывает. Да, её родители приезжают из Твери раза три в "
        "год на неделю-другую, сейчас спят на диване в гостиной, хотелось бы, чтобы было "
        "куда их нормально поселить. И ещё ей важно, чтобы была кладовка.",
    ),
    (
        "Это не ко мне, по ставкам лучше спросить у ипотечного брокера.",
        "А брокер у вас в агентстве есть или его нужно искать самому?",
    ),
    (
        "Пару слов о застройщике, потому что это сейчас главный вопрос у всех покупателей. "
        "Компания работает на рынке двадцать лет, сдала больше сорока домов, и ни один не "
        "был перенесён больше чем на квартал. Все расчёты идут через эскроу-счета, то есть "
        "ваши деньги лежат в банке до ввода дома в эксплуатацию, и застройщик получает их "
        "только после сдачи. Это полностью защищает вас от долгостроя.",
        "Ну да, про этого застройщика я слышал хорошие отзывы от знакомых.",
    ),
)

_WORD = re.compile(r"\S+")
_LABEL = re.compile(r"^([^:\n]{1,40}):\s*")
_NOT_SPOKEN = re.compile(r"[^\w\s-]|(?<!\w)-|-(?!\w)")


def spoken_words(lines: Sequence[tuple[str, str]]) -> int:
    """Words said in the call: whitespace-separated tokens of the utterances, no labels."""
    return sum(len(_WORD.findall(text)) for _, text in lines)


def build_call(target_words: int, seed: int) -> tuple[str, int, int]:
    """The plain call text, its spoken word count and its number of utterances.

    Exchanges are drawn without repeats in a seeded order (reshuffled if the pool runs out)
    until adding the closing would reach `target_words`.
    """
    rng = random.Random(seed)
    lines: list[tuple[str, str]] = list(OPENING)
    closing = spoken_words(CLOSING)
    pool: list[tuple[str, str]] = []
    while spoken_words(lines) + closing < target_words:
        if not pool:
            pool = list(EXCHANGES)
            rng.shuffle(pool)
        manager, client = pool.pop()
        lines += [(MANAGER, manager), (CLIENT, client)]
    lines += CLOSING
    text = "\n".join(f"{who}: {said}" for who, said in lines) + "\n"
    return text, spoken_words(lines), len(lines)


def asr_variant(text: str) -> str:
    """The call as speech-to-text gives it: lowercase, no punctuation; labels kept."""
    out = []
    for line in text.splitlines():
        label, said = line.split(": ", 1)
        said = " ".join(_NOT_SPOKEN.sub(" ", said.lower()).split())
        out.append(f"{label.lower()}: {said}")
    return "\n".join(out) + "\n"


# --- The naive baseline --------------------------------------------------------------------


def expand_variants(patterns: Sequence[str]) -> list[str]:
    """Pattern strings as plain strings: `=` dropped, every `a|b` alternative spelled out."""
    variants: list[str] = []
    for pattern in patterns:
        slots = [[alt.lstrip("=") for alt in word.split("|") if alt] for word in pattern.split()]
        for combo in itertools.product(*slots):
            phrase = " ".join(combo).lower()
            if phrase not in variants:
                variants.append(phrase)
    return variants


def make_baseline(variants: Sequence[str], *, cutoff: bool = True) -> Callable[[str], int]:
    """What a naive phrase matcher does: partial_ratio of every variant on every utterance.

    With `cutoff` the threshold goes to rapidfuzz as `score_cutoff` (it may stop early);
    without, the full score is computed and compared afterwards. Returns the hit count.
    """
    from rapidfuzz import fuzz

    threshold = BASELINE_THRESHOLD

    def hit(variant: str, utterance: str) -> bool:
        if cutoff:
            return bool(fuzz.partial_ratio(variant, utterance, score_cutoff=threshold))
        return fuzz.partial_ratio(variant, utterance) >= threshold

    def baseline(text: str) -> int:
        hits = 0
        for line in text.splitlines():
            utterance = _LABEL.sub("", line, count=1).lower()
            if utterance:
                hits += sum(1 for variant in variants if hit(variant, utterance))
        return hits

    return baseline


# --- Measuring -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    runs: int
    median_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float

    @property
    def calls_per_s(self) -> float:
        return 1000.0 / self.median_ms if self.median_ms else math.inf

    def to_dict(self) -> dict[str, float | int]:
        return {
            "runs": self.runs,
            "median_ms": round(self.median_ms, 4),
            "p95_ms": round(self.p95_ms, 4),
            "mean_ms": round(self.mean_ms, 4),
            "min_ms": round(self.min_ms, 4),
            "calls_per_s": round(self.calls_per_s, 1),
        }


def sample_calls(fn: Callable[[str], object], text: str, runs: int) -> list[float]:
    """Milliseconds of `runs` calls of fn(text), one at a time."""
    samples: list[float] = []
    gc.collect()
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        fn(text)
        samples.append((clock() - t0) / 1e6)
    return samples


def summarise(samples: Sequence[float]) -> Timing:
    """Median, p95 (nearest rank), mean and minimum of call times."""
    ordered = sorted(samples)
    runs = len(ordered)
    return Timing(
        runs=runs,
        median_ms=statistics.median(ordered),
        p95_ms=ordered[max(0, math.ceil(0.95 * runs) - 1)],
        mean_ms=statistics.fmean(ordered),
        min_ms=ordered[0],
    )


def time_calls(fn: Callable[[str], object], text: str, runs: int) -> Timing:
    """Time `runs` calls of fn(text), one at a time."""
    return summarise(sample_calls(fn, text, runs))


def first_call_ms(fn: Callable[[str], object], text: str) -> float:
    t0 = time.perf_counter_ns()
    fn(text)
    return (time.perf_counter_ns() - t0) / 1e6


def peak_rss_mb() -> float:
    """ru_maxrss in MB (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def load_average() -> list[float] | None:
    """The 1/5/15-minute load average: other work on the machine skews the figures."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def pin_to_one_core() -> list[int] | None:
    """Pin this process to one CPU it may run on; the affinity after, or None if unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    core = 0 if 0 in allowed else allowed[0]
    os.sched_setaffinity(0, {core})
    return sorted(os.sched_getaffinity(0))


# --- Running -------------------------------------------------------------------------------


def engine_phrase_matching(text: str) -> int:
    """The baseline's job done the engine's way: read the call, split and lemmatise every
    utterance, find the forbidden phrases in every utterance (client's too, as the baseline
    does). Returns the hit count."""
    from app.engine import get_checklist, read_transcript
    from app.engine.scoring import _compile
    from app.engine.speech import prepare

    finder = _compile(get_checklist("realty_phone")).phrases
    return len(finder.find(prepare(read_transcript(text).utterances)))


@dataclass(frozen=True, slots=True)
class Contenders:
    """What is timed on each variant of the call, and how many times."""

    score: Callable[[str], Any]
    baseline: Callable[[str], int]
    literal: Callable[[str], int]
    phrases: Callable[[str], int]
    masking: Callable[[Any, str], Any]  # the scored result and the text as sent, masked
    runs: int
    baseline_runs: int
    repeat: int


def pooled(runs: Sequence[list[float]]) -> Timing:
    """The figures of all the runs' calls together."""
    return summarise([ms for run in runs for ms in run])


def measure_variant(
    c: Contenders,
    name: str,
    text: str,
    words: int,
    utterances: int,
    first_ms: float | None = None,
) -> dict[str, Any]:
    """Engine and baselines on one text; `first_ms` is the first call if already made."""
    if first_ms is None:
        first_ms = first_call_ms(c.score, text)
    result = c.score(text)
    first_baseline_ms = first_call_ms(c.baseline, text)
    engine_runs = [sample_calls(c.score, text, c.runs) for _ in range(c.repeat)]
    engine = pooled(engine_runs)
    naive = time_calls(c.baseline, text, c.baseline_runs)
    naive_literal = time_calls(c.literal, text, c.baseline_runs)
    phrases = time_calls(c.phrases, text, c.runs)
    masking = time_calls(lambda t: c.masking(result, t), text, c.runs)
    return {
        "variant": name,
        "words": words,
        "utterances": utterances,
        "chars": len(text),
        "engine_first_call_ms": round(first_ms, 3),
        "engine": engine.to_dict(),
        "engine_run_medians_ms": [round(statistics.median(run), 4) for run in engine_runs],
        "baseline_first_call_ms": round(first_baseline_ms, 3),
        "baseline": naive.to_dict(),
        "speedup": round(naive.median_ms / engine.median_ms, 1),
        "baseline_literal": naive_literal.to_dict(),
        "speedup_literal": round(naive_literal.median_ms / engine.median_ms, 1),
        "engine_phrases": phrases.to_dict(),
        "speedup_same_job": round(naive.median_ms / phrases.median_ms, 1),
        "masking": masking.to_dict(),
        "masking_share": round(masking.median_ms / engine.median_ms, 3),
        "result": {
            "total": result.total,
            "grade": result.grade,
            "manager": result.manager.speaker,
            "question_counts": dict(result.question_counts),
            "violations": [f"{v.phrase} <- {v.matched!r}" for v in result.violations],
        },
        "baseline_hits": c.baseline(text),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=300, help="timed engine calls a run (300)")
    parser.add_argument(
        "--repeat", type=int, default=TARGET_RUNS, help=f"runs of the engine ({TARGET_RUNS})"
    )
    parser.add_argument(
        "--baseline-runs", type=int, default=None, help="timed baseline calls (as --runs)"
    )
    parser.add_argument("--words", type=int, default=1500, help="words in the call (1500)")
    parser.add_argument("--seed", type=int, default=2024, help="seed for the call (2024)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    baseline_runs = max(1, args.baseline_runs if args.baseline_runs is not None else runs)

    rss_before_import_mb = peak_rss_mb()
    affinity = pin_to_one_core()

    t0 = time.perf_counter_ns()
    from app.engine import get_checklist, score
    from app.engine.masking import masker

    import_ms = (time.perf_counter_ns() - t0) / 1e6

    plain, words, utterances = build_call(args.words, args.seed)
    asr = asr_variant(plain)
    asr_words = len(_WORD.findall(asr)) - utterances  # minus one label per line

    # The cold call: loads the checklist files, pymorphy3's dictionaries, fills the caches.
    cold_ms = first_call_ms(score, plain)

    # Phrase variants come from the loaded checklist (already cached by the cold call).
    checklist = get_checklist("realty_phone")
    variants = [v for p in checklist.forbidden_phrases for v in expand_variants(p.patterns)]
    mask = masker(checklist)
    contenders = Contenders(
        score=score,
        baseline=make_baseline(variants),
        literal=make_baseline(variants, cutoff=False),
        phrases=engine_phrase_matching,
        masking=lambda result, text: (mask.mask_result(result), mask.mask_value(text)),
        runs=runs,
        baseline_runs=baseline_runs,
        repeat=max(1, args.repeat),
    )

    figures: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "affinity": affinity,
        "load_average": load_average(),
        "engine_import_ms": round(import_ms, 1),
        "rss_before_import_mb": round(rss_before_import_mb, 1),
        "checklist": f"{checklist.key} {checklist.version}",
        "phrase_entries": len(checklist.forbidden_phrases),
        "baseline_variants": len(variants),
        "seed": args.seed,
        "variants": [
            measure_variant(contenders, "plain", plain, words, utterances, cold_ms),
            measure_variant(contenders, "asr", asr, asr_words, utterances),
        ],
    }
    peak = peak_rss_mb()
    figures["peak_rss_mb"] = round(peak, 1)
    figures["load_average_end"] = load_average()
    figures["targets"] = {
        "median_ms_max": TARGET_MEDIAN_MS,
        "runs": TARGET_RUNS,
        "before_ratio_max": TARGET_BEFORE_RATIO,
        "peak_rss_mb_max": TARGET_PEAK_RSS_MB,
    }
    figures["verdicts"] = {
        v["variant"]: {
            "median": verdict(v["engine"]["median_ms"] <= TARGET_MEDIAN_MS),
        }
        for v in figures["variants"]
    } | {"peak_rss": verdict(peak <= TARGET_PEAK_RSS_MB)}

    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print_report(figures, plain)
    return 0


def print_report(f: dict[str, Any], plain: str) -> None:
    affinity = f["affinity"]
    pinned = f"pinned to core {affinity}" if affinity else "sched_setaffinity not available"
    print("callqa engine benchmark")
    print(f"  Python {f['python']} ({f['implementation']}), {f['platform']}")
    print(f"  cpu_count {f['cpu_count']}, {pinned}, load average at start {f['load_average']}")
    print(f"  checklist {f['checklist']}: {f['phrase_entries']} forbidden-phrase entries,")
    print(f"    {f['baseline_variants']} plain variants for the baseline (threshold 80)")
    print(f"  peak RSS before importing app.engine: {f['rss_before_import_mb']:.1f} MB")
    print(f"  import app.engine: {f['engine_import_ms']:.1f} ms")
    first = plain.splitlines()
    print("  call (first lines):")
    for line in first[:3]:
        print(f"    {line[:96]}{'…' if len(line) > 96 else ''}")
    for v in f["variants"]:
        e, b, r = v["engine"], v["baseline"], v["result"]
        verdicts = f["verdicts"][v["variant"]]
        cold = (
            "cold: loads checklists and pymorphy3, fills caches"
            if v is f["variants"][0]
            else "warm process, first time these forms are seen"
        )
        print()
        print(
            f"[{v['variant']}] {v['words']} words, {v['utterances']} utterances, {v['chars']} chars"
        )
        print(f"  engine first call      {v['engine_first_call_ms']:10.2f} ms  ({cold})")
        print(
            f"  engine, {e['runs']} runs      median {e['median_ms']:8.3f} ms   "
            f"p95 {e['p95_ms']:8.3f}   mean {e['mean_ms']:8.3f}   min {e['min_ms']:8.3f}"
        )
        medians = v["engine_run_medians_ms"]
        print(
            f"  engine median of each of {len(medians)} runs: "
            f"{', '.join(f'{m:.3f}' for m in medians)} ms"
        )
        print(f"  engine calls/s         {e['calls_per_s']:10.1f}   (1000 / median)")
        print(
            f"  baseline, {b['runs']} runs    median {b['median_ms']:8.3f} ms   "
            f"p95 {b['p95_ms']:8.3f}   mean {b['mean_ms']:8.3f}   min {b['min_ms']:8.3f}"
        )
        print(f"  baseline calls/s       {b['calls_per_s']:10.1f}")
        print(
            f"  speed-up               {v['speedup']:10.1f}x  (baseline median / engine median; "
            "information, no target)"
        )
        ph = v["engine_phrases"]
        print(
            f"  engine phrase matching only (the baseline's job, every utterance): median "
            f"{ph['median_ms']:.3f} ms, speed-up {v['speedup_same_job']:.1f}x"
        )
        mk = v["masking"]
        print(
            f"  masking at ingest (CALLQA_MASK): median {mk['median_ms']:.3f} ms, "
            f"{100 * v['masking_share']:.0f}% of the engine's median"
        )
        bl = v["baseline_literal"]
        print(
            f"  baseline without score_cutoff (>= 80 after): median {bl['median_ms']:.3f} ms, "
            f"speed-up {v['speedup_literal']:.1f}x (information)"
        )
        print(
            f"  engine result: total {r['total']} {r['grade']}, manager {r['manager']!r}, "
            f"questions {r['question_counts']}"
        )
        print(f"  engine violations ({len(r['violations'])}): {'; '.join(r['violations'])}")
        print(f"  baseline hits: {v['baseline_hits']} (variant x utterance pairs ≥ 80)")
        print(
            f"  target median ≤ {TARGET_MEDIAN_MS:g} ms on one core over {TARGET_RUNS} runs: "
            f"{verdicts['median']} ({e['median_ms']:.3f} ms over {len(medians)} runs)"
        )
        print(
            f"  target ≤ {TARGET_BEFORE_RATIO:g}x the engine before a change: run this bench on "
            f"both checkouts in the same minutes and compare the medians ({e['median_ms']:.3f} ms)"
        )
    print()
    print(f"load average at end {f['load_average_end']} (other work on the machine skews figures)")
    print(
        f"peak RSS after all runs (ru_maxrss): {f['peak_rss_mb']:.1f} MB; "
        f"target ≤ {TARGET_PEAK_RSS_MB:g} MB: {f['verdicts']['peak_rss']}"
    )


if __name__ == "__main__":
    sys.exit(main())
