"""Finding the people in a deal: attendee lines, email headers and signatures, transcript
speakers and appositives ("our CFO Omar Haddad"), with side and role inferred."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from nicknames import NickNamer

from .chat import authors as chat_authors
from .chat import is_chat
from .grounding import quotable
from .ingest.threads import display_name, name_from_handle
from .passage import Passage
from .safety import find_secrets, is_injection
from .schema import Deal, Role, Side
from .sentences import speaker_line

# Bounded and single-spaced: a run of spaces between capitalised words must not make the
# engine try every split of it (tests/security/test_regex_time.py).
_NAME = r"[A-Z][a-zà-ÿA-Z'’-]{1,30}(?: (?:(?:van|de|von|da|del) )?[A-Z][a-zà-ÿA-Z'’-]{1,30}){1,2}"
_PAREN = re.compile(rf"({_NAME}) ?\(([^()\n]{{2,90}})\)")
_ATTENDEE_LINE = re.compile(
    r"^\s*(?:attendees|participants|present|stakeholders|people|on the call)\s*:\s*(.+)$", re.I | re.M
)
# "Attendees" alone on its line, the names on the lines below it.
_ATTENDEE_HEAD = re.compile(r"^\s*(?:attendees|participants|present|invitees|on the call)\s*:?\s*$", re.I)
_ORG_PREFIX = re.compile(r"^\s*([A-Z][^:\n]{1,40}):\s+(\S.*)$")
# An entry: a name and perhaps "(title, org)".
_ATTENDEE_NAME = re.compile(rf"^\s*(?:(?:Dr|Mr|Mrs|Ms|Prof)\.? )?({_NAME})\s*(?:\(([^()]{{1,80}})\))?\s*$")
_COMMA_TITLE = re.compile(rf"^\s*({_NAME}),\s+([^,—–-]{{2,60}})\s*(?:[—–-]|,|\bat\b)\s*(.{{2,60}})$")
_TITLE_WORDS = re.compile(
    r"\b(?:chief|ceo|cfo|coo|cto|cio|ciso|cmo|cro|vp|svp|evp|vice president|president|founder|"
    r"owner|director|head|manager|lead|engineer|architect|analyst|specialist|coordinator|officer|"
    r"executive|consultant|administrator|admin|partner|controller|buyer|procurement|counsel|"
    r"representative|associate|scientist|developer|designer|dispatcher|agent|supervisor|dir|mgr|coord)\b",
    re.I,
)
# Someone giving their own title: "I'm Director of Operations", "I am the IT manager at Harrow".
_SELF_TITLE = re.compile(
    r"\bI(?:'m|’m| am) (?:the |your |a |an )?(?:new |interim |acting )?"
    r"(?P<title>(?:[A-Za-z&/-]+ ){0,3}?(?:chief \w+ officer|vice president|director|head|manager|lead|"
    r"officer|vp|cfo|ceo|coo|cto|cio|ciso|controller|supervisor|coordinator|administrator)"
    r"(?: (?:of|for) (?:the )?[A-Za-z&]+(?-i:(?: [A-Z&][\w&]*){0,2}))?)\b(?! (?:on|with|to|for|in)\b)",
    re.I,
)
# What a list of people says of someone's part in the deal when it gives no job title.
_DEAL_ROLE_WORDS = re.compile(
    r"\b(?:sponsor|champion|decides|decision[- ]maker|signs|signer|signatory|approves|approver|"
    r"end user|main contact|point of contact|stakeholder|runs|heads|leads|owns|manages|"
    r"in charge of|responsible for|reports to)\b",
    re.I,
)
# A list entry that introduces a person: "- Dr. Jane Roe, Chief Nursing Officer — sponsor",
# "* Ana Lima – owner, signs", "2. Tom Hale = IT lead", "- **Tom Hale** — IT lead". Bounded, one line.
_LIST_PERSON = re.compile(
    rf"^[ \t]{{0,8}}(?:[-*•·–]|\d{{1,2}}[.)])[ \t]{{1,4}}(?:\*\*|__)?(?:(?:Dr|Mr|Mrs|Ms|Prof)\.? )?({_NAME})"
    rf"(?:\*\*|__)?[ \t]{{0,3}}(?:,|=|:|[—–]|-(?= )|\()[ \t]{{0,3}}([^\n]{{2,200}})$"
)
# Words of a distribution list's name, not a person's.
_GROUP_WORDS = re.compile(
    r"\b(?:team|group|all|everyone|staff|department|dept|office|desk|support|sales|finance|accounts|"
    r"operations|ops|committee|board|it|hr|info|admin|helpdesk|service|services)\b",
    re.I,
)
_MINE = re.compile(r"(?:our|my)\s", re.I)
_OURS = re.compile(
    r"(?:ours\b|(?:from|on) our side\b|our (?:se|ae|csm|sdr|bdr|solutions?|sales|account|"
    r"customer success|implementation|onboarding|support)\b)",
    re.I,
)
# The last word of an organisation's name, so a list of companies is not read as people.
_ORG_WORD = re.compile(
    r"\b(?:inc|ltd|llc|gmbh|ag|sa|se|bv|plc|co|corp|company|group|holdings?|consulting|"
    r"consultants|systems|solutions|services|partners|technologies|tech|labs|software|bank|"
    r"international|associates)\.?$",
    re.I,
)
_ACRONYM_TITLES = "CEO|CFO|COO|CTO|CIO|CISO|CMO|CRO|CPO|VP|GM"
_APPOSITIVE_BEFORE = re.compile(
    rf"\b(?:[Oo]ur|[Tt]heir|[Tt]he|[Ii]ts)\s+({_ACRONYM_TITLES}|head of [a-z ]+?|[A-Z][a-z]+ [Mm]anager)\s*,?\s+"
    rf"([A-Z][a-zà-ÿ'’-]+(?:\s+[A-Z][a-zà-ÿ'’-]+)?)\b"
)
# A role word and a full name next to it in running text: "my manager Kurt Lindqvist",
# "chairman is Rüdiger Falk", "Kwabena Asare, our delivery PM,". Both names are required: a
# first name alone after a role word is too often someone else's.
_ROLE = (
    rf"(?:(?:(?!(?:our|their|my|his|her|the) )[a-z]+ ){{0,2}}(?:{_ACRONYM_TITLES}|PM|chair(?:man|woman|person)?|manager|director|lead|"
    r"officer|head|engineer|architect|controller|coordinator|counsel|supervisor|superintendent))"
)
_ROLE_THEN_NAME = re.compile(
    rf"(?:^(?:[-*•–]\s+)?|[:;,(]\s*|\b(?P<det>[Oo]ur|[Tt]heir|[Mm]y|[Hh]is|[Hh]er|[Tt]he)\s+)(?P<role>{_ROLE})(?: is| was)?\s+"
    rf"(?P<name>{_NAME})\b"
)
# A role with the name in brackets after it: "FR-speaking CSM (Ana Brandt)", "our project
# lead (Tom Hale)". Our own people's role words count here: the title then decides the side.
_ROLE_PAREN_NAME = re.compile(
    rf"(?:\b(?P<det>[Oo]ur|[Tt]heir|[Mm]y|[Tt]he)\s+)?(?P<role>\b(?:CSM|AE|SE|PM|{_ACRONYM_TITLES})\b|\b{_ROLE})"
    rf" ?\((?P<name>{_NAME})\)"
)
# Two people signing one mail with the surname they share: "Aroha & Mike Tane".
_JOINT_SIGN_OFF = re.compile(
    r"^(?P<a>[A-Z][a-zà-ÿ'’-]{1,30}) (?:&|and|\+) (?P<b>[A-Z][a-zà-ÿ'’-]{1,30}) "
    r"(?P<last>[A-Z][a-zà-ÿA-Z'’-]{1,30}(?: [A-Z][a-zà-ÿA-Z'’-]{1,30})?)$"
)
# "Tess Ambrose from our onboarding team", "Ola Berg of their finance team".
_NAME_FROM_TEAM = re.compile(
    rf"\b(?P<name>{_NAME}) (?:from|of|in) (?P<det>our|their|the) "
    rf"(?P<role>(?:[a-z]+ ){{0,2}}(?:team|office|department|group))\b"
)
_NAME_THEN_ROLE = re.compile(rf"\b(?P<name>{_NAME}), (?P<det>our|their|my|the) (?P<role>{_ROLE})\b")
_APPOSITIVE_AFTER = re.compile(
    rf"\b({_NAME}), (?:our|their|the) ({_ACRONYM_TITLES}|[A-Za-z ]{{3,40}}?(?:manager|director|lead|officer|head))\b"
)
_TAKEOVER = re.compile(
    rf"\b({_NAME}) (?:will take over|takes over|is taking over|will own|will run|will lead|replaces)\b"
)

_VENDOR_SPEECH = re.compile(
    r"\b(?:we will deliver|we'll (?:deliver|configure|send)|we will provide|we will include|"
    r"we will still include|our (?:product|platform|US region)|all data stays in our|"
    r"we will send the|countersigned|"
    r"(?:I'll be|I will be|I'm|I am) your (?:\w+ )?(?:customer success|account manager|csm|"
    r"implementation (?:lead|manager)|onboarding|solutions? (?:engineer|consultant)))\b",
    re.I,
)
# How one of our people brings in a colleague.
_COLLEAGUE = re.compile(
    r"\b(?:with me|from our|my colleague|our colleague|joins? us from|on our side|"
    r"is your (?:\w+ ){0,2}(?:manager|lead|contact|consultant|engineer|trainer|csm)|"
    r"our (?:\w+ )?(?:team|office|engineer|consultant|lead|specialist|architect))\b",
    re.I,
)
# Someone bringing a person to the call or the thread: "from our side I have Joana Reis with me".
_BRINGS = re.compile(
    rf"\b(?:(?:my|our) colleague,?|joined by|with me is|I'm here with)\s+(?P<name>{_NAME})\b"
    rf"|\b(?:I have|I've got|we have)\s+(?P<with>{_NAME}) (?:with me|with us|here with me)\b"
)
_OUR_REP = ""  # who wrote a note that no one signs: our own rep
_INTERNAL = re.compile(r"\binternal\b", re.I)
_HONORIFIC = re.compile(r"^(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+")
# A person's name in a table cell: two to four capitalised words, nothing else.
_TABLE_NAME = re.compile(
    r"^(?:Dr\.? )?[A-Z][\w'’.-]{1,20}(?: (?:(?:de|van|von|der|da|di|le|la) )?[A-Z][\w'’.-]{1,25}){1,3}$"
)
# Labels a transcript gives when it does not know who spoke: not people.
_PLACEHOLDER = re.compile(
    r"^(?:speaker|participant|guest|unknown|caller|attendee|person|visitor)(?:\s*[\w-]{0,3}|\s*#?\d{1,8})$",
    re.I,
)


# A company's name in a label, not a code ("CL"), a marker ("guest") or a job title.
# A chat widget's agent: "Noah from Tallyforge".
_FROM_ORG = re.compile(r"^([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:from|at|@) ([A-Z][\w&.' -]{1,39})$")
_ORG_LIKE = re.compile(r"^(?!(?:guest|external|ext\.?|host|organi[sz]er)$)[A-Z][\w&.' -]{3,39}$", re.I)
_HANDLE = re.compile(r"^@?[a-z]{2,}[._][a-z]{2,}$")
# A chat handle made of a name and an initial, with or without a separator, and maybe the
# company in brackets: "dana.o", "@tomw", "dmercer", "felix.b (Fabrikam)".
_INITIAL_HANDLE = re.compile(r"^@?([a-z]{2,}[._-]?[a-z]|[a-z][._-]?[a-z]{2,})(?:\s*\([^()]*\))?$")
# Bounded, so that a search along a long line without "@" stays linear.
_ADDRESS = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}")
# What a meeting's caption label adds after a name: "(CL)", "(guest)", or the company, as in
# "Ana Brandt (Moldwise)".
_LABEL_SUFFIX = re.compile(r"\s*\(([^()\n]{1,40})\)\s*$")


def canonical_name(name: str) -> str:
    """A name as a person would write it: "Okonkwo, Adaeze (CL)" from a meeting's caption
    labels or an Outlook header is "Adaeze Okonkwo"; a chat widget's "Noah from Tallyforge" is
    "Noah"."""
    name = " ".join(name.replace('"', "").split()).strip(" ,'")
    if _HANDLE.match(name):  # a chat handle "tess.okafor" or "@tess.okafor"
        return name_from_handle(name)
    name = _FROM_ORG.sub(r"\1", name)
    return display_name(_LABEL_SUFFIX.sub("", name)).strip(" ,'")


_INITIALED = re.compile(r"^((?:[A-Z]\.\s*)+)([A-Z][\w'’-]+)$")


def _spelled_out(name: str, email: str) -> str:
    """ "E. Darko" <emmanuel.darko@…> is Emmanuel Darko: the address spells out the initial."""
    m = _INITIALED.match(name)
    if m is None:
        return name
    parts = re.split(r"[._]", email.split("@")[0])
    if len(parts) != 2 or fold(parts[1]) != fold(m.group(2)):
        return name
    given = parts[0]
    if len(given) < 2 or not given.isalpha() or given[0].lower() != m.group(1)[0].lower():
        return name
    return f"{given.capitalize()} {m.group(2)}"


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0]


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


def same_first_name(short: str, full: str) -> bool:
    """Is `short` the first name `full`, or a usual short form of it ("Dan" for Daniel, "Con"
    for Cornelius)? From a curated table of English names and their nicknames."""
    short, full = fold(short), fold(full)
    return short == full or full in _nicknamer().canonicals_of(short)


@cache
def _given_names() -> frozenset[str]:
    names = _nicknamer()
    return frozenset(names.nickname_lookup) | frozenset(names.canonical_lookup)


def is_given_name(word: str) -> bool:
    """A first name in the curated table ("Steve", "Rebecca"), not a word ("Pricing", "Next")."""
    return fold(word) in _given_names()


def fold(name: str) -> str:
    """The key two spellings of one name share: case and accents ignored ("Inês" = "Ines")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


VENDOR_TITLES = re.compile(
    r"\b(?:account executive|account manager|solutions? (?:engineer|consultant|architect)|"
    r"sales (?:engineer|executive|rep(?:resentative)?)|customer success|csm|sdr|bdr|ae)\b",
    re.I,
)


_WRAP_AT = 60
_NEW_ITEM = re.compile(r"^\s*(?:[-*•·–#>|]|\d{1,2}[.)]\s|[A-Z][\w ]{0,30}:\s)")


def _unwrapped(text: str) -> list[str]:
    """Lines of hard-wrapped notes joined back: a long line whose text runs on into the next
    ("…Priya Venkataraman (IT mgr). Dana" / "Whitcombe (COO) jumped on") is one line."""
    out: list[str] = []
    for line in text.split("\n"):
        prev = out[-1] if out else ""
        if len(prev) >= _WRAP_AT and line.strip() and not _NEW_ITEM.match(line):
            out[-1] = f"{prev} {line.strip()}"
        else:
            out.append(line)
    return out


_TITLE_COLUMN = re.compile(r"\b(?:role|title|position|job|function)\b", re.I)
_ORG_COLUMN = re.compile(r"\b(?:organi[sz]ation|company|org|firm|employer)\b", re.I)


def _cells(line: str) -> list[str]:
    return [" ".join(c.split()) for c in line.strip().strip("|").split("|")]


def _in_table(lines: list[str], rows: list[bool], i: int) -> bool:
    """A pipe row with another above or below it (blank lines between rows allowed)."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and not lines[j].strip():
            j += step
        if 0 <= j < len(lines) and rows[j]:
            return True
    return False


@dataclass
class Person:
    name: str
    title: str | None = None
    organization: str | None = None
    email: str | None = None
    side: Side = Side.unknown
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (source_id, quote)
    role_hint: Role | None = None  # from a sentence that names them as successor
    spoke_in: set[str] = field(default_factory=set)
    called_ours_by: set[str] = field(default_factory=set)  # who said "our" or "my" of them
    addressed: bool = False  # a recipient of the deal's mail (To or Cc)

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def citable_quotes(self) -> list[tuple[str, str]]:
        """The quotes a brief may show for them: long enough to verify (a bare sign-off name is
        not), and neither text addressed to a model nor a secret."""
        return [
            (sid, q) for sid, q in self.quotes if quotable(q) and not is_injection(q) and not find_secrets(q)
        ]


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def _org_from_domain(domain: str) -> str:
    root = domain.split(".")[-2] if domain.count(".") >= 1 else domain
    return root.capitalize()


def is_title(text: str) -> bool:
    """Whether the text names a job ("North region supervisor", "IT mgr")."""
    return bool(_TITLE_WORDS.search(text))


def is_placeholder(label: str) -> bool:
    """A label a transcript gives when it does not know who spoke ("Speaker 2")."""
    return bool(_PLACEHOLDER.match(label.strip()))


class People:
    """Accumulates people across a deal's sources, merging the same person found twice."""

    def __init__(self, deal: Deal, vendor_domains: tuple[str, ...] = ()) -> None:
        self.deal = deal
        self.people: dict[str, Person] = {}
        owner_domain = _domain(re.sub(r".*<([^>]+)>.*", r"\1", deal.owner or ""))
        self.vendor_domains = set(vendor_domains) | ({owner_domain} if owner_domain else set())
        self.vendor_orgs = {_org_from_domain(d).lower() for d in self.vendor_domains}

    # --- sides -----------------------------------------------------------------

    def side_for(self, email: str | None, org: str | None, title: str | None) -> Side:
        domain = _domain(email)
        if domain:
            # Our own address even before one of our people wrote from it: "support@yardloop…"
            # when we are Tallyforge.
            ours = domain in self.vendor_domains or _org_from_domain(domain).lower() in self.vendor_orgs
            return Side.vendor if ours else Side.customer
        if org:
            low = org.lower()
            if any(v and (v in low or low in v) for v in self.vendor_orgs):
                return Side.vendor
            account = (self.deal.account or "").lower()
            if account and (low in account or account.split()[0] in low):
                return Side.customer
        if title and VENDOR_TITLES.search(title):
            return Side.vendor
        return Side.unknown

    # --- merging ---------------------------------------------------------------

    def find(self, name: str) -> Person | None:
        address = _ADDRESS.search(name)
        if address is not None:
            # A sender known only by address ("From: jo.reyes@…"): whoever wrote from it, else
            # the name its local part spells.
            email = address.group().lower()
            mailed = [p for p in self.people.values() if p.email and p.email.lower() == email]
            if mailed:
                return mailed[0]
            name = email.split("@")[0]
        handle = _INITIAL_HANDLE.match(name.strip())
        name = _HONORIFIC.sub("", canonical_name(name))
        key = fold(name)
        if key in self.people:
            return self.people[key]
        if handle is not None and (person := self._by_handle(handle.group(1))) is not None:
            return person
        # A first name alone resolves when it is unambiguous.
        parts = key.split()
        if len(parts) == 1:
            matches = [p for p in self.people.values() if fold(p.first) == parts[0]]
            if not matches:
                # "Dan" on a call is the Daniel Furlong of the mails, when he is the only one.
                matches = [
                    p
                    for p in self.people.values()
                    if len(p.name.split()) > 1 and same_first_name(key, p.first)
                ]
            if len(matches) == 1:
                return matches[0]
        elif len(parts) == 2 and len(parts[1].rstrip(".")) == 1:
            # "Sam A." in a chat is the Sam Aldous of the mails, when he is the only one.
            initial = parts[1][0]
            matches = [
                p
                for p in self.people.values()
                if len(words := fold(p.name).split()) > 1
                and words[-1].startswith(initial)
                and (words[0] == parts[0] or same_first_name(parts[0], words[0]))
            ]
            if len(matches) == 1:
                return matches[0]
        else:
            shorts = [p for p in self.people.values() if len(p.name.split()) == 1]
            named = [p for p in shorts if fold(p.name) == parts[0]] or [
                p for p in shorts if same_first_name(p.name, parts[0])
            ]
            if len(named) == 1:
                # Upgrade a first-name-only record to the full name.
                p = named[0]
                del self.people[fold(p.name)]
                p.name = name
                self.people[key] = p
                return p
        return None

    def _by_handle(self, handle: str) -> Person | None:
        """The one person a chat handle written with an initial names: "dana.o" or "danao" is
        Dana O…, "dmercer" or "d.mercer" is D… Mercer."""
        letters = re.sub(r"[._-]", "", handle)
        found = []
        for p in self.people.values():
            words = fold(p.name).split()
            if len(words) < 2:
                continue
            first, last = words[0], re.sub(r"\W", "", words[-1])
            if letters in (first + last[0], first[0] + last):
                found.append(p)
        return found[0] if len(found) == 1 else None

    def side_of_label(self, label: str) -> Side:
        """The side of a speaker or sender label no person was found for: an address's domain,
        the company a chat label names ("sam.k (Fabrikam)"), or our own mailbox or bot."""
        if (address := _ADDRESS.search(label)) is not None:
            return self.side_for(address.group(), None, None)
        if (org := _LABEL_SUFFIX.search(label)) is not None and _ORG_LIKE.match(org.group(1)):
            return self.side_for(None, org.group(1), None)
        return Side.vendor if self._our_mailbox(label) else Side.unknown

    def add(
        self,
        name: str,
        *,
        title: str | None = None,
        org: str | None = None,
        email: str | None = None,
        quote: tuple[str, str] | None = None,
    ) -> Person | None:
        label = _LABEL_SUFFIX.search(name)
        if (
            label
            and org is None
            and _ORG_LIKE.match(label.group(1))
            and not _TITLE_WORDS.search(label.group(1))
        ):
            org = label.group(1)  # "Ana Brandt (Moldwise)": her company, as the caption gives it
        elif org is None and (m := _FROM_ORG.match(" ".join(name.split()))):
            org = m.group(2)
        name = _HONORIFIC.sub("", canonical_name(name))
        if email:
            name = _spelled_out(name, email)
        if not name or "@" in name or len(name) > 60 or not name[0].isupper() or _PLACEHOLDER.match(name):
            return None
        if self._our_mailbox(name):
            return None
        person = self.find(name)
        if person is None:
            person = Person(name)
            self.people[fold(name)] = person
        elif person.name.isupper() and not name.isupper() and fold(person.name) == fold(name):
            # A transcript's "OWEN PRICE" is shown as the mail signs him, "Owen Price".
            person.name = name
        person.title = person.title or (_as_title(title) if title else None)
        person.organization = person.organization or (org.strip() if org else None)
        person.email = person.email or email
        if quote and quote not in person.quotes:
            person.quotes.append(quote)
        return person

    # --- sources ---------------------------------------------------------------

    def scan(self, passage: Passage) -> None:
        sid = passage.source_id
        text = passage.text
        for m in _ATTENDEE_LINE.finditer(text):
            line = m.group(0).strip()
            for pm in _PAREN.finditer(m.group(1)):
                title, org = _split_title_org(pm.group(2), pm.group(1))
                self.add(pm.group(1), title=title, org=org, quote=(sid, line))
            for part in re.split(r";", m.group(1)):
                cm = _COMMA_TITLE.match(part)
                if cm and not _PAREN.search(part):
                    self.add(cm.group(1), title=cm.group(2), org=cm.group(3), quote=(sid, line))
        self._attendee_block(text, sid)
        for line in _unwrapped(text):
            if _ATTENDEE_LINE.match(line):
                continue
            listed = _LIST_PERSON.match(line)
            for pm in _PAREN.finditer(line):
                if listed and listed.start(1) != pm.start(1):
                    continue  # "- Ana Lima - Gerente de Atendimento (head of CX)": her title
                title, org = _split_title_org(pm.group(2), pm.group(1))
                trade = title is None and org is not None and _named_by_trade(pm.group(1), org)
                if trade:
                    title, org = org, None
                if title and (trade or _TITLE_WORDS.search(title)):
                    p = self.add(pm.group(1), title=title, org=org, quote=(sid, line.strip()))
                    by = passage.author or (_OUR_REP if passage.kind == "note" else None)
                    if p is not None and by is not None and _MINE.match(title):
                        p.called_ours_by.add(by)  # "Tess Aldana (our impl lead)"
        lines = text.split("\n")
        rows = [line.count("|") >= 2 for line in lines]
        header: list[str] | None = None  # the first row of the table being read
        for i, line in enumerate(lines):
            if rows[i]:
                alone = not _in_table(lines, rows, i)
                header = [] if alone else header or _cells(line)
                self._table_row(line, sid, header, alone)
            elif line.strip():
                header = None
            self._list_entry(line, sid)
        if passage.kind == "email":
            self._scan_email(passage)
        if passage.kind == "note" and is_chat(text):
            # "#deal-acme (Gridmark internal, private)": a channel of our own, so all who
            # write in it are ours.
            internal = bool(_INTERNAL.search(text.lstrip().split("\n", 1)[0]))
            for author, message in chat_authors(text):
                first = _first_sentence(message)
                p = self.add(author, quote=(sid, first) if quotable(first) else None)
                if p:
                    p.spoke_in.add(sid)
                    if internal:
                        p.called_ours_by.add(_OUR_REP)
        if passage.kind == "transcript":
            lines = text.split("\n")
            for speaker in passage.meta.get("speakers", []):
                turns = [ln for ln in lines if ln.startswith(f"{speaker}:")]
                # Merged turns make long lines: quote the speaker's first sentence only.
                said = _first_sentence(turns[0]) if turns else None
                given = next((tm["title"] for ln in turns if (tm := _SELF_TITLE.search(ln))), None)
                email = passage.meta.get("speaker_emails", {}).get(speaker)
                p = self.add(speaker, title=given, email=email, quote=(sid, said) if said else None)
                if p:
                    p.spoke_in.add(sid)
        if passage.kind == "email" and passage.author and (tm := _SELF_TITLE.search(text)):
            writer = self.find(passage.author)
            if writer is not None:
                writer.title = writer.title or _as_title(tm["title"])
        if passage.kind in ("transcript", "email"):
            self._brought(passage)
        for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
            for am in _APPOSITIVE_BEFORE.finditer(sentence):
                self._appositive(am.group(2), am.group(1), sid, sentence)
            for am in _APPOSITIVE_AFTER.finditer(sentence):
                self._appositive(am.group(1), am.group(2), sid, sentence)
            for pattern in (_ROLE_THEN_NAME, _NAME_THEN_ROLE, _ROLE_PAREN_NAME, _NAME_FROM_TEAM):
                for am in pattern.finditer(sentence):
                    self._named_with_role(am, sid, sentence, passage)
            for tm in _TAKEOVER.finditer(sentence):
                existing = self.find(tm.group(1))
                if existing is None and len(tm.group(1).split()) >= 2:
                    existing = self.add(tm.group(1), org=self.deal.account, quote=(sid, sentence.strip()))
                if existing is not None:
                    existing.role_hint = existing.role_hint or Role.project_owner

    def _brought(self, passage: Passage) -> None:
        """People a speaker or a mail's author brings along by full name; whose they are is
        decided with the sides (ours when one of ours brought them)."""
        for line in passage.text.split("\n"):
            said = speaker_line(line) if passage.kind != "email" else None
            by = said[0] if said else passage.author
            if by is None:
                continue
            for sentence in re.split(r"(?<=[.!?])\s+", line):
                for m in _BRINGS.finditer(sentence):
                    name = m.group("name") or m.group("with")
                    if _TITLE_WORDS.search(name) or _ORG_WORD.search(name) or fold(name) == fold(by):
                        continue
                    person = self.add(name, quote=(passage.source_id, sentence.strip()))
                    if person is not None:
                        person.called_ours_by.add(by)

    def finalize(self, lines_by_speaker: dict[str, list[str]]) -> None:
        """Decide sides once everything is seen. Our own people are recognised by a title such
        as Account Executive, the deal owner's domain, or by making our commitments on a call;
        their email domains and organisation then mark everyone else from our side too."""
        # Keyed by the person a label names ("ola.haugen" in a chat is Ola Haugen).
        spoken: dict[str, str] = {}
        for label, lines in lines_by_speaker.items():
            person = self.find(label)
            key = person.name if person else label
            spoken[key] = " ".join([spoken[key], *lines]) if key in spoken else " ".join(lines)
        # The deal owner is ours even when the CRM gives only a name: their email domain, once
        # seen in a header or signature, is the vendor's.
        owner_name = re.sub(r"\s*<[^>]*>", "", self.deal.owner or "").strip()
        owner = self.find(owner_name) if owner_name else None
        if owner is not None:
            owner.side = Side.vendor
            if domain := _domain(owner.email):
                self.vendor_domains.add(domain)
                self.vendor_orgs.add(_org_from_domain(domain).lower())
            if owner.organization:
                self.vendor_orgs.add(owner.organization.lower())  # "Noah from Tallyforge"
        for person in self.people.values():
            said = spoken.get(person.name, "")
            if (person.title and VENDOR_TITLES.search(person.title)) or _VENDOR_SPEECH.search(said):
                if domain := _domain(person.email):
                    self.vendor_domains.add(domain)
                if person.organization:
                    self.vendor_orgs.add(person.organization.lower())
                person.side = Side.vendor
        for person in self.people.values():
            if person.side is Side.vendor:
                continue
            side = self.side_for(person.email, person.organization, person.title)
            if side is not Side.vendor and (
                self._listed_with_vendor(person) or self._introduced_as_ours(person, spoken)
            ):
                side = Side.vendor
            if side is Side.unknown and (
                person.name in spoken or person.organization or person.title or person.addressed
            ):
                # A named participant, a recipient of the deal's mail, or someone given a job
                # title, who is not ours.
                side = Side.customer
            person.side = side
            if person.organization is None and person.email:
                person.organization = (
                    self.deal.account
                    if side is Side.customer and self.deal.account
                    else _org_from_domain(_domain(person.email) or "")
                )
            if person.organization is None and side is Side.customer:
                person.organization = self.deal.account
        for person in self.people.values():
            if person.side is Side.vendor and person.organization is None and person.email:
                person.organization = _org_from_domain(_domain(person.email) or "")
        # Our mailboxes and bots ("Tallyforge Billing", "Tallyforge Assistant"), seen before we knew
        # our own name, are not people.
        for key, person in list(self.people.items()):
            if self._our_mailbox(person.name):
                del self.people[key]

    def _our_mailbox(self, name: str) -> bool:
        """ "Tallyforge Billing", "Tallyforge Assistant": our mailbox or our bot, not a person."""
        words = fold(name).split()
        return len(words) > 1 and words[0] in self.vendor_orgs

    def _attendee_block(self, text: str, sid: str) -> None:
        """The lines under an "Attendees" heading, up to a blank line: "Org: Name (title), Name",
        a line without "Org:" continuing the one above. First names alone are left to resolve
        against the full names found elsewhere."""
        org: str | None = None
        inside = False
        for line in text.split("\n"):
            if _ATTENDEE_HEAD.match(line):
                inside, org = True, None
                continue
            if not inside:
                continue
            if not line.strip():
                inside = False
                continue
            m = _ORG_PREFIX.match(line)
            if m:
                org, line_names = m.group(1).strip(), m.group(2)
            else:
                line_names = line
            for part in _entries(line_names):
                pm = _ATTENDEE_NAME.match(part)
                if pm is None or _TITLE_WORDS.search(pm.group(1)):
                    continue
                title, paren_org = _split_title_org(pm.group(2), pm.group(1)) if pm.group(2) else (None, None)
                self.add(pm.group(1), title=title, org=org or paren_org, quote=(sid, line.strip()))

    def _table_row(self, line: str, sid: str, header: list[str], alone: bool) -> None:
        """A row of an attendee table (Markdown, pipes, or a docx table read as pipes): the
        first cell that reads as a name is the person; their title and company are the columns
        the header names so, else the next cells in that order. A line of pipes on its own is
        a person's row only when it gives a job: it is more often a heading ("Owen B. | forecast
        call | 20 Jan")."""
        cells = _cells(line)
        title_col = next((j for j, h in enumerate(header) if _TITLE_COLUMN.search(h)), None)
        org_col = next((j for j, h in enumerate(header) if _ORG_COLUMN.search(h)), None)
        for i, cell in enumerate(cells):
            # Minutes give initials after a name: "Bart Claeys (BC)".
            cell = _LABEL_SUFFIX.sub("", cell)
            if _TABLE_NAME.match(cell) and not _TITLE_WORDS.search(cell):
                if title_col is not None and org_col is not None and max(title_col, org_col) < len(cells):
                    title, org = cells[title_col] or None, cells[org_col] or None
                else:
                    rest = [c for c in cells[i + 1 :] if c and not set(c) <= set("-: ")]
                    title, org = (rest[0] if rest else None), (rest[1] if len(rest) > 1 else None)
                if alone and not (title and _TITLE_WORDS.search(title)):
                    return
                self.add(cell, title=title, org=org, quote=(sid, line.strip()))
                return

    def _list_entry(self, line: str, sid: str) -> None:
        """A bulleted or numbered line that starts with a full name and says what the person
        is: a job title or their part in the deal. A list of companies or places says neither."""
        m = _LIST_PERSON.match(line)
        if m is None:
            return
        name, rest = m.group(1), m.group(2)
        account = fold(self.deal.account or "")
        if _ORG_WORD.search(name) or (account and fold(name) in account):
            return
        segments = [seg.strip(" )") for seg in re.split(r"[,;=.—–()/]| - ", rest) if seg.strip(" )")]
        titled = [seg for seg in segments if len(seg) <= 60 and _TITLE_WORDS.search(seg)]
        # A name set in bold in a list is a person the writer introduces, whatever their part
        # ("- **Steve Kinsella** — union convenor"), when it starts with a given name.
        bolded = f"**{name}**" in line or f"__{name}__" in line
        if (
            not titled
            and not _DEAL_ROLE_WORDS.search(rest)
            and not (bolded and is_given_name(name.split()[0]))
        ):
            return
        title = titled[0] if titled else (segments[0] if segments and len(segments[0]) <= 40 else None)
        # "our SE", "ours", "from our side": the writer's own colleague ("our champion" is not).
        ours = any(_OURS.match(seg) for seg in segments) or bool(title and VENDOR_TITLES.search(title))
        self.add(
            name,
            title=title,
            org=None if ours else self.deal.account,
            quote=(sid, line.strip()),
        )

    def _account_domain(self, domain: str) -> bool:
        """An address of the account itself ("orvellatelecom.example" for Orvella Telecom)."""
        account = re.sub(r"[^a-z0-9]", "", fold(self.deal.account or ""))
        label = re.sub(r"[^a-z0-9]", "", fold(_org_from_domain(domain)))
        return len(label) > 2 and label in account

    def _introduced_as_ours(self, person: Person, spoken: dict[str, str]) -> bool:
        """Brought in by one of our people as a colleague ("Ritu's with me from our solutions
        team", "new is Beatriz Nunes from our Lisbon office"), on a call or in a chat."""
        if self.side_for(person.email, person.organization, None) is Side.customer and (
            person.email is None or self._account_domain(_domain(person.email) or "")
        ):
            return False  # the account's own address or organisation: not one of ours
        if _OUR_REP in person.called_ours_by:
            return True
        for name in person.called_ours_by:
            who = self.find(name)
            if who is not None and who is not person and who.side is Side.vendor:
                return True
        names = [n for n in (person.name, person.first) if len(n) > 2]
        for speaker, said in spoken.items():
            ours = self.find(speaker)
            if ours is None or ours is person or ours.side is not Side.vendor:
                continue
            for sentence in re.split(r"(?<=[.!?])\s+", said):
                if _COLLEAGUE.search(sentence) and any(
                    re.search(rf"\b{re.escape(n)}\b", sentence) for n in names
                ):
                    return True
        return False

    def _listed_with_vendor(self, person: Person) -> bool:
        """A table row of one person, or the parenthesis right after a name, that names our
        company: "| Jonas Albers | Quarrix SE |", "Jonas Albers (SE, Quarrix)"."""
        name = fold(person.name)
        others = [fold(p.name) for p in self.people.values() if p is not person]
        for _, line in person.quotes:
            row = fold(line)
            if name not in row:
                continue
            if "|" in line and not any(o in row for o in others):
                context = row
            else:
                m = re.search(rf"{re.escape(name)}\s*\(([^)]{{0,80}})\)", row)
                if m is None:
                    continue
                context = m.group(1)
            if any(len(v) > 3 and re.search(rf"\b{re.escape(fold(v))}\b", context) for v in self.vendor_orgs):
                return True
        return False

    def _named_with_role(self, m: re.Match[str], sid: str, sentence: str, passage: Passage) -> None:
        """A full name with a role word in running text. Whose person they are depends on who
        says "our" or "my": the mail's author, or the speaker of the line."""
        name = m.group("name")
        if _TITLE_WORDS.search(name) or _ORG_WORD.search(name) or fold(name) == fold(self.deal.account or ""):
            return  # "the CFO (Finance Director)", "our partner (Acme Group)"
        said = speaker_line(sentence) if passage.kind != "email" else None
        by = said[0] if said else passage.author
        if by is None and passage.kind == "note":
            by = _OUR_REP  # a note no one signs is our rep's own: their "my manager" is one of ours
        ours = (m.group("det") or "").lower() in ("our", "my")
        # Whose organisation "our" means is decided with the sides, once everything is read.
        # Our CSM named beside the customer's account is still ours: no organisation is guessed.
        vendor_role = bool(VENDOR_TITLES.search(m.group("role")))
        person = self._appositive(name, m.group("role"), sid, sentence, known_org=not (ours or vendor_role))
        if person is not None and ours and by is not None:
            person.called_ours_by.add(by)

    def _appositive(
        self, name: str, title: str, sid: str, sentence: str, known_org: bool = True
    ) -> Person | None:
        """Someone named with their title in a sentence: the title is theirs, the sentence their
        quote; someone new is the account's unless `known_org` is False."""
        title = _as_title(title)
        if title.lower().startswith("head of"):
            title = title[0].upper() + title[1:]
        existing = self.find(name)
        if existing is not None:
            existing.title = existing.title or title
            if (sid, sentence.strip()) not in existing.quotes:
                existing.quotes.append((sid, sentence.strip()))
            return existing
        org = self.deal.account if known_org else None
        return self.add(name, title=title, org=org, quote=(sid, sentence.strip()))

    def _scan_email(self, passage: Passage) -> None:
        meta = passage.meta
        sid = passage.source_id
        sender = meta.get("from") or {}
        signature = [s for s in meta.get("signature", []) if s]
        title = org = None
        if signature:
            title, org = _signature_title_org(signature, sender.get("name", ""))
        lines = meta.get("header_lines") or {}
        if not sender.get("name") and sender.get("email"):
            # "From: dan.furlong@…" with no display name: the signature says who wrote it.
            named = _signed_name(signature, sender["email"])
            if named:
                sender = {**sender, "name": named[0]}
                title, org = _signature_title_org(signature[named[1] + 1 :], named[0])
        if sender.get("name"):
            # The header line and the signature are verbatim text of the original email.
            p = self.add(
                sender["name"],
                email=sender.get("email"),
                title=title,
                org=org,
                quote=(sid, lines["from"]) if lines.get("from") else None,
            )
            if p and title:
                sig_line = next((s for s in signature if title in s), None)
                if sig_line and (sid, sig_line) not in p.quotes:
                    p.quotes.append((sid, sig_line))
            if p:
                p.spoke_in.add(sid)
                self._cosigner(p, signature, sid)
        for field_name in ("to", "cc"):
            for who in meta.get(field_name, []):
                name = who.get("name", "")
                if _GROUP_WORDS.search(name) or (not who.get("email") and _TITLE_WORDS.search(name)):
                    continue  # "IT Team <it-team@…>", "Cc: Finance Team": a list, not a person
                if name:
                    line = lines.get(field_name)
                    p = self.add(name, email=who.get("email"), quote=(sid, line) if line else None)
                    if p is not None:
                        p.addressed = True

    def _cosigner(self, sender: Person, signature: list[str], sid: str) -> None:
        """The other of two people who sign together, on the sender's side of the deal."""
        for line in signature[:2]:
            m = _JOINT_SIGN_OFF.match(line.strip())
            if m is None:
                continue
            names = [f"{m.group(first)} {m.group('last')}" for first in ("a", "b")]
            if fold(sender.name) not in [fold(n) for n in names]:
                continue
            other = next(n for n in names if fold(n) != fold(sender.name))
            ours = _domain(sender.email) in self.vendor_domains
            org = sender.organization or (None if ours else self.deal.account)
            cosigner = self.add(other, org=org, email=None, quote=(sid, line.strip()))
            if cosigner is not None and ours:
                cosigner.called_ours_by.add(sender.name)
            return


_POST_NOMINALS = re.compile(r"(?:,?\s+(?:PhD|MD|MBA|MSc|BSc|CPA|FCA|ACA|PE|RN|Esq\.?|[A-Z]{2,5}))+$")


def _entries(line: str) -> list[str]:
    """A list of people split at semicolons and at commas not inside brackets ("Ana Brandt
    (CSM, Moldwise), Tom Hale"). One pass each way: a regex looking ahead from every comma for
    the closing bracket is quadratic on a long line of commas."""
    inside = [False] * len(line)
    closes = False  # the next bracket to the right closes one
    for i in range(len(line) - 1, -1, -1):
        if line[i] in "()":
            closes = line[i] == ")"
        inside[i] = closes
    parts, start = [], 0
    for i, ch in enumerate(line):
        if ch == ";" or (ch == "," and not inside[i]):
            parts.append(line[start:i])
            start = i + 1
    return [*parts, line[start:]]


def _signed_name(signature: list[str], email: str) -> tuple[str, int] | None:
    """The name on the signature line that names the owner of `email`, and that line's index: a
    name whose surname, or the start of whose first name, is in the address ("Dr Aoife Mulcahy
    PhD" for a.mulcahy@…)."""
    local = fold(email.split("@")[0])
    for i, line in enumerate(signature[:4]):
        written = _HONORIFIC.sub("", line.strip().rstrip(","))
        # A surname in capitals ("Yui SATO" for yui.sato@…) looks like post-nominals: the line
        # as written is tried first.
        for name, by_surname in ((written, True), (_POST_NOMINALS.sub("", written), False)):
            if not _TABLE_NAME.match(name) or _TITLE_WORDS.search(name) or _ORG_WORD.search(name):
                continue
            words = [fold(w) for w in name.split()]
            if len(words) >= 2 and (
                words[-1] in local or (not by_surname and local.startswith(words[0][:3]))
            ):
                return name, i
    return None


# One word naming what someone does ("estimator", "bookkeeper", "technician"): an agent noun.
_AGENT_NOUN = re.compile(r"^[a-z]{4,20}(?:or|er|ist|ian|ant|ent|man|woman)$")


# Who a title was said by ("our CFO", "their project lead") is a side, not part of the title.
_SAID_BY = re.compile(r"^(?:our|their|your|my|his|her|the)\s+", re.I)


def _as_title(title: str) -> str:
    return _SAID_BY.sub("", title.strip()) or title.strip()


def _named_by_trade(name: str, title: str) -> bool:
    """ "Ben Oduya (estimator)": a first name and a one-word trade, where no title word says so."""
    return is_given_name(name.split()[0]) and bool(_AGENT_NOUN.match(title.strip()))


def _split_title_org(inner: str, name: str = "") -> tuple[str | None, str | None]:
    parts = [p.strip() for p in inner.split(",") if p.strip()]
    # The person's initials ("Luis Arriaga (VP Maint, \"LA\")") label them; a lower-case last
    # part ("ops mgr, runs dispatch") is more of what they do. Neither is an organisation.
    initials = "".join(w[0] for w in name.split()).upper()
    if parts and len(initials) > 1 and parts[-1].strip("\"'“”‘’").upper() == initials:
        parts = parts[:-1]
    if not parts:
        return None, None
    if len(parts) == 1:
        return (parts[0], None) if _TITLE_WORDS.search(parts[0]) else (None, parts[0])
    if not parts[-1][0].isupper():
        return ", ".join(parts), None
    return ", ".join(parts[:-1]), parts[-1]


def _signature_title_org(lines: list[str], sender: str) -> tuple[str | None, str | None]:
    if len(lines) == 1 and "|" in lines[0]:
        parts = [p.strip() for p in lines[0].split("|")]
        return (parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
    rest = [ln for ln in lines if ln.lower() != sender.lower() and not re.search(r"[@+\d]{5,}", ln)]
    if not rest:
        return None, None
    first = rest[0]
    if "," in first and _TITLE_WORDS.search(first.split(",")[0]):
        title, org = first.split(",", 1)
        return title.strip(), org.strip()
    if "|" in first:
        parts = [p.strip() for p in first.split("|")]
        return parts[0], parts[1] if len(parts) > 1 else None
    if _TITLE_WORDS.search(first) or len(rest) >= 2:
        return first, rest[1] if len(rest) > 1 else None
    return None, None


ROLE_BY_TITLE: list[tuple[re.Pattern[str], Role]] = [
    (re.compile(r"\b(?:procurement|accounts payable|billing|purchasing|controller)\b", re.I), Role.billing),
    (
        re.compile(
            r"\b(?:cfo|chief financial|owner|founder|ceo|chief executive|president|managing director)\b", re.I
        ),
        Role.economic_buyer,
    ),
    (
        re.compile(
            r"\b(?:it|security|engineering|technical|architect|engineer|cto|cio|ciso|developer|data)\b", re.I
        ),
        Role.technical_lead,
    ),
    (re.compile(r"\b(?:pmo|project|program|implementation|rollout)\b", re.I), Role.project_owner),
    (
        re.compile(r"\b(?:vp|vice president|svp|evp|chief|coo|head of|cmo|cro|general manager)\b", re.I),
        Role.executive_sponsor,
    ),
    (re.compile(r"\b(?:director|manager|lead|supervisor)\b", re.I), Role.project_owner),
    (
        re.compile(r"\b(?:analyst|agent|specialist|coordinator|dispatcher|associate|user|rep)\b", re.I),
        Role.end_user,
    ),
]

# Cues in what is said about a person; stronger than the title.
ROLE_CUES: list[tuple[re.Pattern[str], Role]] = [
    (
        re.compile(
            r"\beconomic buyer\b|\bapproved the budget\b|\bsigns? anything\b|\bsigned the order\b|"
            r"\bwill sign\b|\bsign-off on budget\b",
            re.I,
        ),
        Role.economic_buyer,
    ),
    (re.compile(r"\bchampion\b|\bpushed for\b|\badvocate\b", re.I), Role.champion),
    (re.compile(r"\bsponsor(?:ing|s)?\b", re.I), Role.executive_sponsor),
    (
        re.compile(
            r"\b(?:will own|own the rollout|point of contact|run the project|will run|take over|"
            r"takes over|runs the implementation|project lead|day-to-day ownership)\b",
            re.I,
        ),
        Role.project_owner,
    ),
    (
        re.compile(
            r"\b(?:blocker|veto|block(?:s|ing)? the deal|against the purchase|cannot approve|"
            r"can't approve)\b",
            re.I,
        ),
        Role.blocker,
    ),
]


def role_for(person: Person, sentences_about: list[str]) -> Role:
    if person.side is Side.vendor:
        return Role.other
    for pattern, role in ROLE_CUES:
        if any(pattern.search(s) for s in sentences_about):
            return role
    if person.role_hint is not None:
        return person.role_hint
    title = person.title or ""
    for pattern, role in ROLE_BY_TITLE:
        if pattern.search(title):
            return role
    return Role.other
