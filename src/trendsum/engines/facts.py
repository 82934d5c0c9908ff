"""Fact tables the offline engine reads metadata from: places by nation, trend and AI vocabularies.

Local authorities are listed by their usual short names (Scotland, Wales and Northern Ireland in full;
England by its larger authorities and the places case studies tend to name). Longer names win where
they overlap, so 'New South Wales' is not Wales and 'Northern Ireland' is not Ireland.
"""

from __future__ import annotations

import re

SCOTLAND = """
Scotland|Scottish|Aberdeen|Aberdeenshire|Angus Council|Argyll and Bute|Argyll|Clackmannanshire
Dumfries and Galloway|Dumfries|Dundee|East Ayrshire|East Dunbartonshire|East Lothian|East Renfrewshire|Edinburgh|Na h-Eileanan Siar
Comhairle nan Eilean Siar|Western Isles|Falkirk|Fife|Glasgow|Highland Council|Inverness|Inverclyde|Midlothian
Moray|North Ayrshire|North Lanarkshire|Orkney|Perth and Kinross|Renfrewshire|Scottish Borders|Shetland
South Ayrshire|South Lanarkshire|Stirling|West Dunbartonshire|West Lothian|Police Scotland|NHS Scotland
Holyrood|COSLA|Paisley|Livingston|Kirkcaldy|Dunfermline|Hamilton|Kilmarnock
"""

WALES = """
Wales|Welsh|Cymru|Blaenau Gwent|Bridgend|Caerphilly|Cardiff|Carmarthenshire|Ceredigion|Conwy|Denbighshire
Flintshire|Gwynedd|Anglesey|Ynys Môn|Merthyr Tydfil|Monmouthshire|Neath Port Talbot|Pembrokeshire|Powys
Rhondda Cynon Taf|Swansea|Torfaen|Vale of Glamorgan|Wrexham|Senedd|NHS Wales|Newport City Council|Llandudno
Aberystwyth|Bangor University|Carmarthen|Llanelli
"""

NORTHERN_IRELAND = """
Northern Ireland|Antrim and Newtownabbey|Ards and North Down|Armagh City, Banbridge and Craigavon|Armagh
Banbridge|Craigavon|Belfast|Causeway Coast and Glens|Derry City and Strabane|Derry|Londonderry|Strabane
Fermanagh and Omagh|Fermanagh|Omagh|Lisburn and Castlereagh|Lisburn|Mid and East Antrim|Mid Ulster|Newry
Mourne and Down|Stormont|Ulster
"""

ENGLAND = """
England|English|NHS England|London|Greater London Authority|Birmingham|Manchester|Greater Manchester|Liverpool
Leeds|Sheffield|Bristol|Newcastle|Nottingham|Leicester|Coventry|Bradford|Camden|Hackney|Lambeth|Southwark
Westminster City Council|Islington|Tower Hamlets|Barnet|Croydon|Ealing|Enfield|Greenwich|Haringey|Harrow
Hillingdon|Hounslow|Lewisham|Merton|Newham|Redbridge|Wandsworth|Waltham Forest|Barking and Dagenham|Bexley
Brent|Bromley|Havering|Kensington and Chelsea|Hammersmith and Fulham|City of London|Kent|Surrey|Essex
Hampshire|Devon|Cornwall|Norfolk|Suffolk|Lancashire|Cumbria|Cumberland|Westmorland|Yorkshire|Somerset|Dorset
Wiltshire|Gloucestershire|Oxfordshire|Buckinghamshire|Hertfordshire|Cambridgeshire|Lincolnshire
Nottinghamshire|Derbyshire|Leicestershire|Northamptonshire|Warwickshire|Worcestershire|Staffordshire
Shropshire|Cheshire|County Durham|Northumberland|East Sussex|West Sussex|Blackpool|Carlisle|Isles of Scilly
East Lindsey|Milton Keynes|Norwich|Peterborough|Warwick District|Watford|Brighton|Southampton|Portsmouth
Plymouth|Exeter|York|Hull|Derby|Stoke-on-Trent|Wolverhampton|Sunderland|Luton|Oxford|Cambridge|Swindon
Salford|Stockport|Wigan|Bolton|Oldham|Rochdale|Tameside|Trafford|Wirral|Sefton|Knowsley|St Helens|Gateshead
Barnsley|Doncaster|Rotherham|Wakefield|Kirklees|Calderdale|Middlesbrough|Stockton-on-Tees|Hartlepool
Darlington|Sandwell|Dudley|Walsall|Solihull|Medway|Thurrock|Southend|Bedford|Central Bedfordshire
Bournemouth|Torbay|Telford|Herefordshire|Rutland|North Yorkshire|Ipswich|Colchester|Chelmsford|Canterbury
Maidstone|Swale|Whitehall|Leeds City Council|Nottingham City Council
"""

NETHERLANDS = """
Netherlands|Dutch|Gemeente|Amsterdam|Rotterdam|Den Haag|The Hague|Utrecht|Eindhoven|Groningen|Tilburg|Almere
Breda|Nijmegen|Apeldoorn|Haarlem|Arnhem|Enschede|Amersfoort|Zaanstad|Zwolle|Leiden|Maastricht|Dordrecht
Delft|'s-Hertogenbosch|Vereniging van Nederlandse Gemeenten|VNG
"""

OTHER_COUNTRIES = {
    "Ireland": "Ireland|Irish|Dublin|Cork|Galway",
    "Belgium": "Belgium|Belgian|Flanders|Flemish|Brussels|Antwerp|Ghent",
    "Australia": "Australia|Australian|New South Wales|Victoria State|Queensland|Sydney|Melbourne",
    "New Zealand": "New Zealand|Aotearoa|Auckland|Wellington",
    "Canada": "Canada|Canadian|Ontario|British Columbia|Toronto",
    "United States": "United States|U\\.S\\.|USA|federal agency|federal government|18F|GSA",
    "Estonia": "Estonia|Estonian|Tallinn",
    "Denmark": "Denmark|Danish|Copenhagen",
    "Sweden": "Sweden|Swedish|Stockholm",
    "Finland": "Finland|Finnish|Helsinki",
    "Germany": "Germany|German|Berlin|Hamburg",
}


def _names(block: str) -> list[str]:
    names: list[str] = []
    for line in block.strip().splitlines():
        names.extend(name.strip() for name in line.split("|") if name.strip())
    return names


def _escaped(names: list[str]) -> list[str]:
    return [re.escape(name) for name in names]


NATION_PATTERNS: dict[str, list[str]] = {
    "Scotland": _escaped(_names(SCOTLAND)),
    "Wales": _escaped(_names(WALES)),
    "Northern Ireland": _escaped(_names(NORTHERN_IRELAND)),
    "England": _escaped(_names(ENGLAND)),
    "Netherlands": _escaped(_names(NETHERLANDS)),
    **{country: pattern.split("|") for country, pattern in OTHER_COUNTRIES.items()},
}

# Keywords by trend, with weights: a word that is everywhere ("data") counts less than one that is telling.
TREND_KEYWORDS: dict[str, dict[str, float]] = {
    "cyber security": {
        r"cyber": 3, r"ransomware": 3, r"phishing": 3, r"malware": 3, r"security operations": 3,
        r"incident response": 2, r"penetration test": 3, r"vulnerabilit": 2, r"multi-factor": 3, r"\bMFA\b": 3,
        r"attack": 2, r"breach": 2, r"zero trust": 3, r"patch": 1, r"backups?": 1, r"threat": 2, r"\bSOC\b": 2,
        r"security": 1, r"resilien": 1,
    },
    "harnessing data": {
        r"\bdata\b": 0.5, r"dashboard": 2, r"analytic": 2, r"insight": 2, r"predictive": 2, r"data platform": 3,
        r"data warehouse": 3, r"data sharing": 3, r"open data": 3, r"data quality": 3, r"single view": 2,
        r"evidence base": 2, r"modelling": 1, r"statistic": 1, r"Power BI": 2, r"data-driven": 3, r"dataset": 2,
        r"forecast": 2, r"data standards?": 3, r"performance data": 2, r"intelligence hub": 2,
    },
    "reimagining services": {
        r"residents": 1, r"citizens?": 1, r"customers?": 1, r"service design": 3, r"user research": 3,
        r"redesign": 3, r"online": 1, r"self-service": 3, r"contact centre": 2, r"channel shift": 3,
        r"appointments?": 1, r"accessib": 1, r"user needs?": 2, r"journey": 1, r"digital service": 2,
        r"front door": 2, r"reimagin": 3, r"transform": 1, r"website": 1, r"form\b": 1, r"chatbot": 1,
        r"automat": 1, r"service users?": 2, r"waiting (?:list|time)s?": 2, r"paperwork|administration": 2,
        r"front-?line": 1, r"practitioners?": 1, r"caseworkers?": 1, r"time with": 1,
    },
}  # fmt: skip

AI_TERMS = (
    r"artificial intelligence|\bAI\b|\bA\.I\.|machine[- ]learning|chat ?bot|large language models?|\bLLMs?\b|"
    r"generative|\bGenAI\b|Copilot|\bGPT|natural language processing|\bNLP\b|computer vision|predictive model|"
    r"speech recognition|speech-to-text|neural network|virtual assistant|image recognition|automated transcription"
)
AI_NEGATION = (
    r"\b(?:no|not|without|never|nor)\b[^.;]{0,40}?(?:" + AI_TERMS + r")|n't\b[^.;]{0,40}?(?:" + AI_TERMS + r")"
    # "considered an AI-based product but decided not to", "... but found three clear rules did the job"
    r"|\b(?:considered|explored|looked at|evaluated|investigated|assessed)\b[^.;]{0,60}?(?:" + AI_TERMS + r")"
    r"[^.;]{0,120}?\b(?:but|however)\b[^.;]{0,40}?\b(?:decided|chose|opted|found|ruled|rejected)"
    r"|(?:" + AI_TERMS + r")[^.;]{0,80}?\b(?:was|were) (?:rejected|ruled out|not used|dropped)"
)
