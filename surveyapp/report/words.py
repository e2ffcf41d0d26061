"""The annex's own words (headings, captions, method sentences), in English, French, Spanish.

Written once as templates; `surveyapp.report.method` and `surveyapp.report.content` fill in
the numbers. The French and Spanish are those of ILO evaluation reports: "Figure" and
"Tableau", "Gráfico" and "Cuadro"; French keeps a non-breaking space (\u00a0) before ; and :
and inside « », as `surveyapp.analysis.words` does.
"""

from __future__ import annotations

from surveyapp.analysis.words import in_language

WORDS = {
    "title": {
        "en": "Survey annex: {surveys}",
        "fr": "Annexe sur les enquêtes\u00a0: {surveys}",
        "es": "Anexo sobre las encuestas: {surveys}",
    },
    "caption": {
        "en": "{word} {number}: {text}",
        "fr": "{word} {number}\u00a0: {text}",
        "es": "{word} {number}: {text}",
    },  # fmt: skip
    "list_separator": {"en": "; ", "fr": "\u00a0; ", "es": "; "},
    "contents": {"en": "Contents", "fr": "Table des matières", "es": "Índice"},
    "contents_update": {
        "en": "Update this field (F9 in Word) to list the sections with their pages.",
        "fr": "Mettez ce champ à jour (F9 dans Word) pour afficher les sections et leurs pages.",
        "es": "Actualice este campo (F9 en Word) para ver las secciones con sus páginas.",
    },
    "method": {"en": "Method", "fr": "Méthodologie", "es": "Metodología"},
    "analysis": {"en": "Analysis", "fr": "Analyse", "es": "Análisis"},
    "priorities": {"en": "Priorities", "fr": "Priorités", "es": "Prioridades"},
    "open_answers": {"en": "Open answers", "fr": "Réponses ouvertes", "es": "Respuestas abiertas"},
    "figure": {"en": "Figure", "fr": "Figure", "es": "Gráfico"},
    "table": {"en": "Table", "fr": "Tableau", "es": "Cuadro"},
    "page": {"en": "Page", "fr": "Page", "es": "Página"},
    # method: one survey
    "fielded": {
        "en": "{title} was open from {opens} to {closes}.",
        "fr": "L’enquête «\u00a0{title}\u00a0» a été ouverte du {opens} au {closes}.",
        "es": "La encuesta «{title}» estuvo abierta del {opens} al {closes}.",
    },
    "fielded_from": {
        "en": "{title} opened on {opens}.",
        "fr": "L’enquête «\u00a0{title}\u00a0» a été ouverte le {opens}.",
        "es": "La encuesta «{title}» se abrió el {opens}.",
    },
    "no_dates": {
        "en": "The opening and closing dates of {title} are not recorded.",
        "fr": "Les dates d’ouverture et de clôture de l’enquête «\u00a0{title}\u00a0» ne sont"
        " pas enregistrées.",
        "es": "Las fechas de apertura y cierre de la encuesta «{title}» no están registradas.",
    },
    "rate": {
        "en": "{invited} people were invited and {responded} responded: a response rate of"
        " {responded} of {invited}, {rate}.",
        "fr": "{invited}\u00a0personnes ont été invitées et {responded} ont répondu, soit un taux"
        " de réponse de {responded} sur {invited}, {rate}.",
        "es": "Se invitó a {invited} personas y respondieron {responded}, es decir, una tasa de"
        " respuesta de {responded} de {invited}, {rate}.",
    },
    "no_invitations": {
        "en": "Nobody was invited through an invitation link, so no response rate is given.",
        "fr": "Personne n’a été invité par un lien d’invitation\u00a0; aucun taux de réponse"
        " n’est donc indiqué.",
        "es": "No se invitó a nadie mediante un enlace de invitación, por lo que no se indica"
        " ninguna tasa de respuesta.",
    },
    "rate_by": {
        "en": "By {attribute}: {groups}.",
        "fr": "Par {attribute}\u00a0: {groups}.",
        "es": "Por {attribute}: {groups}.",
    },
    "rate_group": {
        "en": "{group}, {responded} of {invited} ({rate})",
        "fr": "{group}, {responded} sur {invited} ({rate})",
        "es": "{group}, {responded} de {invited} ({rate})",
    },
    "imported": {
        "en": "{imported} of the responses were imported (interviews on paper or by"
        " telephone, or another survey tool) and count toward the rate.",
        "fr": "{imported} des réponses ont été importées (entretiens sur papier ou par"
        " téléphone, ou autre outil d’enquête) et sont comptées dans le taux.",
        "es": "{imported} de las respuestas se importaron (entrevistas en papel o por"
        " teléfono, u otra herramienta de encuesta) y se cuentan en la tasa.",
    },
    "open_link": {
        "en": "{count} responses came through the open link: nobody was invited to give them,"
        " so they are not in the rate, but they are in the tables.",
        "fr": "{count} réponses sont arrivées par le lien ouvert\u00a0: personne n’avait été"
        " invité à les donner\u00a0; elles ne sont donc pas comptées dans le taux, mais elles"
        " figurent dans les tableaux.",
        "es": "{count} respuestas llegaron por el enlace abierto: nadie había sido invitado a"
        " darlas, por lo que no se cuentan en la tasa, pero sí figuran en los cuadros.",
    },
    "completed": {
        "en": "The tables count its {count} completed responses.",
        "fr": "Les tableaux portent sur ses {count} réponses complètes.",
        "es": "Los cuadros se basan en sus {count} respuestas completas.",
    },
    # method: the analysis
    "dont_know": {
        "en": "Answers “{missing}” are counted apart: they are left out of the percentages"
        " and of the mean ratings, and their number is given beside each table.",
        "fr": "Les réponses «\u00a0{missing}\u00a0» sont comptées à part\u00a0: elles sont"
        " exclues des pourcentages et des notes moyennes, et leur nombre est indiqué dans"
        " chaque tableau.",
        "es": "Las respuestas «{missing}» se cuentan aparte: se excluyen de los porcentajes"
        " y de las puntuaciones medias, y su número se indica en cada cuadro.",
    },
    "suppression": {
        "en": "Groups with fewer than {min_cell} answers are suppressed to preserve"
        " confidentiality: their cells are marked “{suppressed}” in the tables and the"
        " charts. A code that fewer than {min_cell} respondents mention is shown without"
        " quotes, and answers are quoted without any profile answer of their author.",
        "fr": "Les groupes de moins de {min_cell} réponses sont masqués pour préserver la"
        " confidentialité\u00a0: leurs cases portent la mention «\u00a0{suppressed}\u00a0» dans"
        " les tableaux et les graphiques. Un code mentionné par moins de {min_cell} répondants"
        " est présenté sans citation, et les réponses sont citées sans aucune réponse de"
        " profil de leur auteur.",
        "es": "Los grupos con menos de {min_cell} respuestas se omiten para preservar la"
        " confidencialidad: sus celdas llevan la indicación «{suppressed}» en los cuadros y"
        " los gráficos. Un código que mencionan menos de {min_cell} encuestados se presenta"
        " sin citas, y las respuestas se citan sin ninguna respuesta de perfil de su autor.",
    },
    "unweighted": {
        "en": "Results are not weighted: they represent those who answered and are not"
        " extrapolated to those who did not.",
        "fr": "Les résultats ne sont pas pondérés\u00a0: ils représentent les personnes qui"
        " ont répondu et ne sont pas extrapolés à celles qui n’ont pas répondu.",
        "es": "Los resultados no están ponderados: representan a quienes respondieron y no se"
        " extrapolan a quienes no lo hicieron.",
    },
    "weighted": {
        "en": "Percentages and means are weighted by {column}; n and counts are numbers of"
        " respondents.",
        "fr": "Les pourcentages et les moyennes sont pondérés par {column}\u00a0; n et les"
        " effectifs sont des nombres de répondants.",
        "es": "Los porcentajes y las medias están ponderados por {column}; n y los recuentos"
        " son números de encuestados.",
    },
    "poststratified": {
        "en": "Percentages and means are post-stratified on {column} to the shares {shares};"
        " n and counts are numbers of respondents.",
        "fr": "Les pourcentages et les moyennes sont pondérés par post-stratification selon"
        " {column}, sur les parts {shares}\u00a0; n et les effectifs sont des nombres de"
        " répondants.",
        "es": "Los porcentajes y las medias se ponderan por posestratificación según {column},"
        " con las proporciones {shares}; n y los recuentos son números de encuestados.",
    },
    "tests": {
        "en": "Differences between groups are tested per statement: a chi-square test of the"
        " whole scale (Fisher’s exact test, or a Monte Carlo p-value, where expected counts"
        " are small), then of the share who agree; mean ratings by the Mann-Whitney U test"
        " (two groups) or the Kruskal-Wallis H test (more). Each test gives an effect size"
        " beside its p-value (Cramér’s V, the rank-biserial r, epsilon-squared); suppressed"
        " groups are left out of the tests, and weights never enter them.",
        "fr": "Les différences entre groupes sont testées pour chaque affirmation\u00a0: un test"
        " du khi-deux sur l’ensemble de l’échelle (test exact de Fisher, ou valeur p par la"
        " méthode de Monte-Carlo, lorsque les effectifs attendus sont faibles), puis sur la"
        " part des personnes d’accord\u00a0; les notes moyennes par le test U de Mann-Whitney"
        " (deux groupes) ou le test H de Kruskal-Wallis (davantage). Chaque test indique une"
        " taille d’effet à côté de sa valeur p (V de Cramér, r bisérial de rang, epsilon"
        " carré)\u00a0; les groupes masqués sont exclus des tests, et les pondérations n’y"
        " entrent jamais.",
        "es": "Las diferencias entre grupos se someten a prueba para cada afirmación: una"
        " prueba de ji cuadrado sobre toda la escala (prueba exacta de Fisher, o valor p por"
        " el método de Montecarlo, cuando las frecuencias esperadas son bajas) y luego sobre"
        " la proporción de quienes están de acuerdo; las puntuaciones medias, mediante la"
        " prueba U de Mann-Whitney (dos grupos) o la prueba H de Kruskal-Wallis (más). Cada"
        " prueba indica un tamaño del efecto junto a su valor p (V de Cramér, r biserial de"
        " rangos, épsilon cuadrado); los grupos omitidos quedan fuera de las pruebas, y las"
        " ponderaciones nunca intervienen en ellas.",
    },
    # grids and priorities
    "test_heading": {
        "en": "Test of difference between the groups",
        "fr": "Test de différence entre les groupes",
        "es": "Prueba de diferencia entre los grupos",
    },
    "test_line": {
        "en": "{item}{comparison}: {test}, statistic = {statistic}, p = {p}{effect}{note}.",
        "fr": "{item}{comparison}\u00a0: {test}, statistique = {statistic}, p = {p}{effect}"
        "{note}.",
        "es": "{item}{comparison}: {test}, estadístico = {statistic}, p = {p}{effect}{note}.",
    },
    "no_test": {
        "en": "{item}{comparison}: no test{note}.",
        "fr": "{item}{comparison}\u00a0: aucun test{note}.",
        "es": "{item}{comparison}: ninguna prueba{note}.",
    },
    "no_tests": {
        "en": "No test of difference: the groups overlap or there is only one.",
        "fr": "Aucun test de différence\u00a0: les groupes se recoupent ou il n’y en a qu’un.",
        "es": "Ninguna prueba de diferencia: los grupos se solapan o solo hay uno.",
    },
    "priorities_caption": {
        "en": "Priority index (mean rating): {label}",
        "fr": "Indice de priorité (note moyenne)\u00a0: {label}",
        "es": "Índice de prioridad (puntuación media): {label}",
    },
    "shading_note": {
        "en": "Cells are shaded by the mean rating ({low} to {high}): darker is higher.",
        "fr": "Les cases sont ombrées selon la note moyenne (de {low} à {high})\u00a0: plus"
        " foncé = plus élevé.",
        "es": "Las celdas se sombrean según la puntuación media (de {low} a {high}): más"
        " oscuro = más alta.",
    },
    # open answers
    "code": {"en": "Code", "fr": "Code", "es": "Código"},
    "respondents": {"en": "{group}: n", "fr": "{group}\u00a0: n", "es": "{group}: n"},
    "share": {"en": "{group}: %", "fr": "{group}\u00a0: %", "es": "{group}: %"},
    "frequency_caption": {
        "en": "Respondents who mention each code: {question}",
        "fr": "Répondants mentionnant chaque code\u00a0: {question}",
        "es": "Encuestados que mencionan cada código: {question}",
    },
    "frequency_note": {
        "en": "n: respondents whose answer carries the code; %: their share of those in the"
        " group who answered the question ({coding}). An answer may carry several codes, so"
        " shares can add up to more than 100%.",
        "fr": "n\u00a0: répondants dont la réponse porte le code\u00a0; %\u00a0: leur part parmi"
        " les personnes du groupe qui ont répondu à la question ({coding}). Une réponse peut"
        " porter plusieurs codes\u00a0; le total des parts peut donc dépasser 100\u00a0%.",
        "es": "n: encuestados cuya respuesta lleva el código; %: su proporción entre quienes"
        " respondieron a la pregunta en el grupo ({coding}). Una respuesta puede llevar varios"
        " códigos, por lo que las proporciones pueden sumar más del 100 %.",
    },
    "share_axis": {
        "en": "Share of respondents who answered (%)",
        "fr": "Part des répondants à la question (%)",
        "es": "Proporción de quienes respondieron (%)",
    },
    "no_quotes": {
        "en": "Fewer than {min_cell} respondents mention this code: their answers are not quoted.",
        "fr": "Moins de {min_cell} répondants mentionnent ce code\u00a0: leurs réponses ne sont"
        " pas citées.",
        "es": "Menos de {min_cell} encuestados mencionan este código: sus respuestas no se citan.",
    },
    "not_coded": {
        "en": "{question}: nobody has coded the answers yet, so there are no codes to count.",
        "fr": "{question}\u00a0: personne n’a encore codé les réponses\u00a0; il n’y a donc aucun"
        " code à compter.",
        "es": "{question}: nadie ha codificado aún las respuestas, por lo que no hay códigos"
        " que contar.",
    },
}


def annex_words(language: str | None) -> dict[str, str]:
    """Return the annex's words in a language (English for one the table lacks)."""
    return in_language(WORDS, language)
