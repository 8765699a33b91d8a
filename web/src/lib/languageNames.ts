/**
 * Names of the ISO 639-1 languages that browsers' trimmed ICU data leaves out (Chromium has
 * no name for these 51, and shows the bare code: "dz"), in the app's two languages.
 */
export const MISSING_LANGUAGE_NAMES: Record<"en" | "fr", Record<string, string>> = {
  en: {
    aa: "Afar", ab: "Abkhazian", ae: "Avestan", av: "Avaric", ba: "Bashkir", bi: "Bislama",
    bo: "Tibetan", ce: "Chechen", ch: "Chamorro", cr: "Cree", cu: "Church Slavic", cv: "Chuvash",
    dz: "Dzongkha", ff: "Fula", fj: "Fijian", gv: "Manx", ho: "Hiri Motu", hz: "Herero",
    ie: "Interlingue", ii: "Sichuan Yi", ik: "Inupiaq", io: "Ido", iu: "Inuktitut", kg: "Kongo",
    ki: "Kikuyu", kj: "Kuanyama", kl: "Kalaallisut", kr: "Kanuri", ks: "Kashmiri", kv: "Komi",
    kw: "Cornish", li: "Limburgish", lu: "Luba-Katanga", mh: "Marshallese", na: "Nauru",
    nd: "North Ndebele", ng: "Ndonga", nr: "South Ndebele", nv: "Navajo", oj: "Ojibwa",
    os: "Ossetic", pi: "Pali", rn: "Rundi", sc: "Sardinian", se: "Northern Sami", sg: "Sango",
    ss: "Swati", ty: "Tahitian", ve: "Venda", vo: "Volapük", za: "Zhuang",
  },
  fr: {
    aa: "afar", ab: "abkhaze", ae: "avestique", av: "avar", ba: "bachkir", bi: "bichelamar",
    bo: "tibétain", ce: "tchétchène", ch: "chamorro", cr: "cree", cu: "slavon d’église",
    cv: "tchouvache", dz: "dzongkha", ff: "peul", fj: "fidjien", gv: "mannois", ho: "hiri motu",
    hz: "héréro", ie: "interlingue", ii: "yi du Sichuan", ik: "inupiaq", io: "ido",
    iu: "inuktitut", kg: "kikongo", ki: "kikuyu", kj: "kuanyama", kl: "groenlandais",
    kr: "kanouri", ks: "cachemiri", kv: "komi", kw: "cornique", li: "limbourgeois",
    lu: "luba-katanga", mh: "marshallais", na: "nauruan", nd: "ndébélé du Nord", ng: "ndonga",
    nr: "ndébélé du Sud", nv: "navajo", oj: "ojibwa", os: "ossète", pi: "pali", rn: "roundi",
    sc: "sarde", se: "same du Nord", sg: "sango", ss: "swati", ty: "tahitien", ve: "venda",
    vo: "volapük", za: "zhuang",
  },
};
