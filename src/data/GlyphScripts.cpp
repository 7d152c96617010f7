// The writing systems of the glyphs importer: Noto font families and the code points to render.
//
// Ranges were generated with ICU 72 (Unicode 15): code points whose Script property is the
// writing system, whose General_Category is Lu, Ll, Lt, Lo, Nd, Nl, No or So (no marks,
// punctuation or modifier letters) and which have no compatibility decomposition (no
// presentation forms). Latin, Greek, Cyrillic, Arabic and Hebrew are further restricted to
// their base blocks (Latin to A-Z, a-z). Characters a font does not map are dropped at run time.
#include "GlyphInternal.hpp"

namespace cz::data::detail {

const std::vector<GlyphScriptSpec>& glyph_script_table() {
  static const std::vector<GlyphScriptSpec> table = {
    {"Adlam",  // 78 code points
     {"NotoSansAdlam", "NotoSansAdlamUnjoined"},
     {{0x1E900, 0x1E943}, {0x1E950, 0x1E959}}},
    {"Ahom",  // 47 code points
     {"NotoSerifAhom"},
     {{0x11700, 0x1171A}, {0x11730, 0x1173B}, {0x1173F, 0x11746}}},
    {"Anatolian Hieroglyphs",  // 583 code points
     {"NotoSansAnatolianHieroglyphs"},
     {{0x14400, 0x14646}}},
    {"Arabic",  // 220 code points
     {"NotoSansArabic", "NotoKufiArabic", "NotoNaskhArabic", "NotoNastaliqUrdu"},
     {{0x060E, 0x060F}, {0x0620, 0x063F}, {0x0641, 0x064A}, {0x0660, 0x0669}, {0x066E, 0x066F},
      {0x0671, 0x0674}, {0x0679, 0x06D3}, {0x06D5, 0x06D5}, {0x06DE, 0x06DE}, {0x06E9, 0x06E9},
      {0x06EE, 0x06FF}, {0x0750, 0x077F}}},
    {"Armenian",  // 80 code points
     {"NotoSansArmenian", "NotoSerifArmenian"},
     {{0x0531, 0x0556}, {0x0560, 0x0586}, {0x0588, 0x0588}, {0x058D, 0x058E}}},
    {"Avestan",  // 54 code points
     {"NotoSansAvestan"},
     {{0x10B00, 0x10B35}}},
    {"Balinese",  // 84 code points
     {"NotoSansBalinese", "NotoSerifBalinese"},
     {{0x1B05, 0x1B33}, {0x1B45, 0x1B4C}, {0x1B50, 0x1B59}, {0x1B61, 0x1B6A}, {0x1B74, 0x1B7C}}},
    {"Bamum",  // 649 code points
     {"NotoSansBamum"},
     {{0xA6A0, 0xA6EF}, {0x16800, 0x16A38}}},
    {"Bassa Vah",  // 30 code points
     {"NotoSansBassaVah"},
     {{0x16AD0, 0x16AED}}},
    {"Batak",  // 38 code points
     {"NotoSansBatak"},
     {{0x1BC0, 0x1BE5}}},
    {"Bengali",  // 72 code points
     {"NotoSansBengali", "NotoSerifBengali"},
     {{0x0980, 0x0980}, {0x0985, 0x098C}, {0x098F, 0x0990}, {0x0993, 0x09A8}, {0x09AA, 0x09B0},
      {0x09B2, 0x09B2}, {0x09B6, 0x09B9}, {0x09BD, 0x09BD}, {0x09CE, 0x09CE}, {0x09DC, 0x09DD},
      {0x09DF, 0x09E1}, {0x09E6, 0x09F1}, {0x09F4, 0x09FA}, {0x09FC, 0x09FC}}},
    {"Bhaiksuki",  // 76 code points
     {"NotoSansBhaiksuki"},
     {{0x11C00, 0x11C08}, {0x11C0A, 0x11C2E}, {0x11C40, 0x11C40}, {0x11C50, 0x11C6C}}},
    {"Brahmi",  // 86 code points
     {"NotoSansBrahmi"},
     {{0x11003, 0x11037}, {0x11052, 0x1106F}, {0x11071, 0x11072}, {0x11075, 0x11075}}},
    {"Buginese",  // 23 code points
     {"NotoSansBuginese"},
     {{0x1A00, 0x1A16}}},
    {"Buhid",  // 18 code points
     {"NotoSansBuhid"},
     {{0x1740, 0x1751}}},
    {"Canadian Aboriginal",  // 724 code points
     {"NotoSansCanadianAboriginal"},
     {{0x1401, 0x166D}, {0x166F, 0x167F}, {0x18B0, 0x18F5}, {0x11AB0, 0x11ABF}}},
    {"Carian",  // 49 code points
     {"NotoSansCarian"},
     {{0x102A0, 0x102D0}}},
    {"Caucasian Albanian",  // 52 code points
     {"NotoSansCaucasianAlbanian"},
     {{0x10530, 0x10563}}},
    {"Chakma",  // 48 code points
     {"NotoSansChakma"},
     {{0x11103, 0x11126}, {0x11136, 0x1113F}, {0x11144, 0x11144}, {0x11147, 0x11147}}},
    {"Cham",  // 62 code points
     {"NotoSansCham"},
     {{0xAA00, 0xAA28}, {0xAA40, 0xAA42}, {0xAA44, 0xAA4B}, {0xAA50, 0xAA59}}},
    {"Cherokee",  // 172 code points
     {"NotoSansCherokee"},
     {{0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0xAB70, 0xABBF}}},
    {"Coptic",  // 128 code points
     {"NotoSansCoptic"},
     {{0x03E2, 0x03EF}, {0x2C80, 0x2CEE}, {0x2CF2, 0x2CF3}, {0x2CFD, 0x2CFD}}},
    {"Cuneiform",  // 1229 code points
     {"NotoSansCuneiform"},
     {{0x12000, 0x12399}, {0x12400, 0x1246E}, {0x12480, 0x12543}}},
    {"Cypriot",  // 55 code points
     {"NotoSansCypriot"},
     {{0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080A, 0x10835}, {0x10837, 0x10838}, {0x1083C, 0x1083C},
      {0x1083F, 0x1083F}}},
    {"Cyrillic",  // 249 code points
     {"NotoSans", "NotoSansDisplay", "NotoSansMono", "NotoSerif",
      "NotoSerifDisplay"},
     {{0x0400, 0x0482}, {0x048A, 0x04FF}}},
    {"Deseret",  // 80 code points
     {"NotoSansDeseret"},
     {{0x10400, 0x1044F}}},
    {"Devanagari",  // 99 code points
     {"NotoSansDevanagari", "NotoSerifDevanagari"},
     {{0x0904, 0x0939}, {0x093D, 0x093D}, {0x0950, 0x0950}, {0x0958, 0x0961}, {0x0966, 0x096F},
      {0x0972, 0x097F}, {0xA8F2, 0xA8F7}, {0xA8FB, 0xA8FB}, {0xA8FD, 0xA8FE}}},
    {"Dogra",  // 44 code points
     {"NotoSerifDogra"},
     {{0x11800, 0x1182B}}},
    {"Duployan",  // 140 code points
     {"NotoSansDuployan"},
     {{0x1BC00, 0x1BC6A}, {0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88}, {0x1BC90, 0x1BC99}, {0x1BC9C, 0x1BC9C}}},
    {"Egyptian Hieroglyphs",  // 1078 code points
     {"NotoSansEgyptianHieroglyphs"},
     {{0x13000, 0x1342F}, {0x13441, 0x13446}}},
    {"Elbasan",  // 40 code points
     {"NotoSansElbasan"},
     {{0x10500, 0x10527}}},
    {"Elymaic",  // 23 code points
     {"NotoSansElymaic"},
     {{0x10FE0, 0x10FF6}}},
    {"Ethiopic",  // 511 code points
     {"NotoSansEthiopic", "NotoSerifEthiopic"},
     {{0x1200, 0x1248}, {0x124A, 0x124D}, {0x1250, 0x1256}, {0x1258, 0x1258}, {0x125A, 0x125D},
      {0x1260, 0x1288}, {0x128A, 0x128D}, {0x1290, 0x12B0}, {0x12B2, 0x12B5}, {0x12B8, 0x12BE},
      {0x12C0, 0x12C0}, {0x12C2, 0x12C5}, {0x12C8, 0x12D6}, {0x12D8, 0x1310}, {0x1312, 0x1315},
      {0x1318, 0x135A}, {0x1369, 0x137C}, {0x1380, 0x1399}, {0x2D80, 0x2D96}, {0x2DA0, 0x2DA6},
      {0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6}, {0x2DB8, 0x2DBE}, {0x2DC0, 0x2DC6}, {0x2DC8, 0x2DCE},
      {0x2DD0, 0x2DD6}, {0x2DD8, 0x2DDE}, {0xAB01, 0xAB06}, {0xAB09, 0xAB0E}, {0xAB11, 0xAB16},
      {0xAB20, 0xAB26}, {0xAB28, 0xAB2E}, {0x1E7E0, 0x1E7E6}, {0x1E7E8, 0x1E7EB}, {0x1E7ED, 0x1E7EE},
      {0x1E7F0, 0x1E7FE}}},
    {"Georgian",  // 172 code points
     {"NotoSansGeorgian", "NotoSerifGeorgian"},
     {{0x10A0, 0x10C5}, {0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x10FA}, {0x10FD, 0x10FF},
      {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x2D00, 0x2D25}, {0x2D27, 0x2D27}, {0x2D2D, 0x2D2D}}},
    {"Glagolitic",  // 96 code points
     {"NotoSansGlagolitic"},
     {{0x2C00, 0x2C5F}}},
    {"Gothic",  // 27 code points
     {"NotoSansGothic"},
     {{0x10330, 0x1034A}}},
    {"Grantha",  // 53 code points
     {"NotoSansGrantha", "NotoSerifGrantha"},
     {{0x11305, 0x1130C}, {0x1130F, 0x11310}, {0x11313, 0x11328}, {0x1132A, 0x11330}, {0x11332, 0x11333},
      {0x11335, 0x11339}, {0x1133D, 0x1133D}, {0x11350, 0x11350}, {0x1135D, 0x11361}}},
    {"Greek",  // 102 code points
     {"NotoSans", "NotoSansDisplay", "NotoSansMono", "NotoSerif",
      "NotoSerifDisplay"},
     {{0x0370, 0x0373}, {0x0376, 0x0377}, {0x037B, 0x037D}, {0x037F, 0x037F}, {0x0386, 0x0386},
      {0x0388, 0x038A}, {0x038C, 0x038C}, {0x038E, 0x03A1}, {0x03A3, 0x03CF}, {0x03D3, 0x03D4},
      {0x03D7, 0x03E1}, {0x03F3, 0x03F3}, {0x03F7, 0x03F8}, {0x03FA, 0x03FF}}},
    {"Gujarati",  // 63 code points
     {"NotoSansGujarati", "NotoSerifGujarati"},
     {{0x0A85, 0x0A8D}, {0x0A8F, 0x0A91}, {0x0A93, 0x0AA8}, {0x0AAA, 0x0AB0}, {0x0AB2, 0x0AB3},
      {0x0AB5, 0x0AB9}, {0x0ABD, 0x0ABD}, {0x0AD0, 0x0AD0}, {0x0AE0, 0x0AE1}, {0x0AE6, 0x0AEF},
      {0x0AF9, 0x0AF9}}},
    {"Gunjala Gondi",  // 51 code points
     {"NotoSansGunjalaGondi"},
     {{0x11D60, 0x11D65}, {0x11D67, 0x11D68}, {0x11D6A, 0x11D89}, {0x11D98, 0x11D98}, {0x11DA0, 0x11DA9}}},
    {"Gurmukhi",  // 61 code points
     {"NotoSansGurmukhi", "NotoSerifGurmukhi"},
     {{0x0A05, 0x0A0A}, {0x0A0F, 0x0A10}, {0x0A13, 0x0A28}, {0x0A2A, 0x0A30}, {0x0A32, 0x0A33},
      {0x0A35, 0x0A36}, {0x0A38, 0x0A39}, {0x0A59, 0x0A5C}, {0x0A5E, 0x0A5E}, {0x0A66, 0x0A6F},
      {0x0A72, 0x0A74}}},
    {"Hanifi Rohingya",  // 46 code points
     {"NotoSansHanifiRohingya"},
     {{0x10D00, 0x10D23}, {0x10D30, 0x10D39}}},
    {"Hanunoo",  // 18 code points
     {"NotoSansHanunoo"},
     {{0x1720, 0x1731}}},
    {"Hatran",  // 26 code points
     {"NotoSansHatran"},
     {{0x108E0, 0x108F2}, {0x108F4, 0x108F5}, {0x108FB, 0x108FF}}},
    {"Hebrew",  // 31 code points
     {"NotoSansHebrew", "NotoSerifHebrew", "NotoRashiHebrew"},
     {{0x05D0, 0x05EA}, {0x05EF, 0x05F2}}},
    {"Imperial Aramaic",  // 30 code points
     {"NotoSansImperialAramaic"},
     {{0x10840, 0x10855}, {0x10858, 0x1085F}}},
    {"Inscriptional Pahlavi",  // 27 code points
     {"NotoSansInscriptionalPahlavi"},
     {{0x10B60, 0x10B72}, {0x10B78, 0x10B7F}}},
    {"Inscriptional Parthian",  // 30 code points
     {"NotoSansInscriptionalParthian"},
     {{0x10B40, 0x10B55}, {0x10B58, 0x10B5F}}},
    {"Javanese",  // 57 code points
     {"NotoSansJavanese"},
     {{0xA984, 0xA9B2}, {0xA9D0, 0xA9D9}}},
    {"Kaithi",  // 45 code points
     {"NotoSansKaithi"},
     {{0x11083, 0x110AF}}},
    {"Kannada",  // 67 code points
     {"NotoSansKannada", "NotoSerifKannada"},
     {{0x0C80, 0x0C80}, {0x0C85, 0x0C8C}, {0x0C8E, 0x0C90}, {0x0C92, 0x0CA8}, {0x0CAA, 0x0CB3},
      {0x0CB5, 0x0CB9}, {0x0CBD, 0x0CBD}, {0x0CDD, 0x0CDE}, {0x0CE0, 0x0CE1}, {0x0CE6, 0x0CEF},
      {0x0CF1, 0x0CF2}}},
    {"Kayah Li",  // 38 code points
     {"NotoSansKayahLi"},
     {{0xA900, 0xA925}}},
    {"Kharoshthi",  // 46 code points
     {"NotoSansKharoshthi"},
     {{0x10A00, 0x10A00}, {0x10A10, 0x10A13}, {0x10A15, 0x10A17}, {0x10A19, 0x10A35}, {0x10A40, 0x10A48}}},
    {"Khmer",  // 105 code points
     {"NotoSansKhmer", "NotoSerifKhmer"},
     {{0x1780, 0x17B3}, {0x17DC, 0x17DC}, {0x17E0, 0x17E9}, {0x17F0, 0x17F9}, {0x19E0, 0x19FF}}},
    {"Khojki",  // 45 code points
     {"NotoSansKhojki", "NotoSerifKhojki"},
     {{0x11200, 0x11211}, {0x11213, 0x1122B}, {0x1123F, 0x11240}}},
    {"Khudawadi",  // 57 code points
     {"NotoSansKhudawadi"},
     {{0x112B0, 0x112DE}, {0x112F0, 0x112F9}}},
    {"Lao",  // 62 code points
     {"NotoSansLao", "NotoSerifLao", "NotoLoopedLao"},
     {{0x0E81, 0x0E82}, {0x0E84, 0x0E84}, {0x0E86, 0x0E8A}, {0x0E8C, 0x0EA3}, {0x0EA5, 0x0EA5},
      {0x0EA7, 0x0EB0}, {0x0EB2, 0x0EB2}, {0x0EBD, 0x0EBD}, {0x0EC0, 0x0EC4}, {0x0ED0, 0x0ED9},
      {0x0EDE, 0x0EDF}}},
    {"Latin",  // 52 code points
     {"NotoSans", "NotoSansDisplay", "NotoSansMono", "NotoSerif",
      "NotoSerifDisplay"},
     {{0x0041, 0x005A}, {0x0061, 0x007A}}},
    {"Lepcha",  // 49 code points
     {"NotoSansLepcha"},
     {{0x1C00, 0x1C23}, {0x1C40, 0x1C49}, {0x1C4D, 0x1C4F}}},
    {"Limbu",  // 42 code points
     {"NotoSansLimbu"},
     {{0x1900, 0x191E}, {0x1940, 0x1940}, {0x1946, 0x194F}}},
    {"Linear A",  // 341 code points
     {"NotoSansLinearA"},
     {{0x10600, 0x10736}, {0x10740, 0x10755}, {0x10760, 0x10767}}},
    {"Linear B",  // 211 code points
     {"NotoSansLinearB"},
     {{0x10000, 0x1000B}, {0x1000D, 0x10026}, {0x10028, 0x1003A}, {0x1003C, 0x1003D}, {0x1003F, 0x1004D},
      {0x10050, 0x1005D}, {0x10080, 0x100FA}}},
    {"Lisu",  // 41 code points
     {"NotoSansLisu"},
     {{0xA4D0, 0xA4F7}, {0x11FB0, 0x11FB0}}},
    {"Lycian",  // 29 code points
     {"NotoSansLycian"},
     {{0x10280, 0x1029C}}},
    {"Lydian",  // 26 code points
     {"NotoSansLydian"},
     {{0x10920, 0x10939}}},
    {"Mahajani",  // 36 code points
     {"NotoSansMahajani"},
     {{0x11150, 0x11172}, {0x11176, 0x11176}}},
    {"Malayalam",  // 95 code points
     {"NotoSansMalayalam", "NotoSerifMalayalam"},
     {{0x0D04, 0x0D0C}, {0x0D0E, 0x0D10}, {0x0D12, 0x0D3A}, {0x0D3D, 0x0D3D}, {0x0D4E, 0x0D4F},
      {0x0D54, 0x0D56}, {0x0D58, 0x0D61}, {0x0D66, 0x0D7F}}},
    {"Mandaic",  // 25 code points
     {"NotoSansMandaic"},
     {{0x0840, 0x0858}}},
    {"Manichaean",  // 42 code points
     {"NotoSansManichaean"},
     {{0x10AC0, 0x10AE4}, {0x10AEB, 0x10AEF}}},
    {"Marchen",  // 30 code points
     {"NotoSansMarchen"},
     {{0x11C72, 0x11C8F}}},
    {"Masaram Gondi",  // 58 code points
     {"NotoSansMasaramGondi"},
     {{0x11D00, 0x11D06}, {0x11D08, 0x11D09}, {0x11D0B, 0x11D30}, {0x11D46, 0x11D46}, {0x11D50, 0x11D59}}},
    {"Medefaidrin",  // 87 code points
     {"NotoSansMedefaidrin"},
     {{0x16E40, 0x16E96}}},
    {"Meetei Mayek",  // 57 code points
     {"NotoSansMeeteiMayek"},
     {{0xAAE0, 0xAAEA}, {0xAAF2, 0xAAF2}, {0xABC0, 0xABE2}, {0xABF0, 0xABF9}}},
    {"Mende Kikakui",  // 206 code points
     {"NotoSansMendeKikakui"},
     {{0x1E800, 0x1E8C4}, {0x1E8C7, 0x1E8CF}}},
    {"Meroitic Cursive",  // 90 code points
     {"NotoSansMeroitic"},
     {{0x109A0, 0x109B7}, {0x109BC, 0x109CF}, {0x109D2, 0x109FF}}},
    {"Meroitic Hieroglyphs",  // 32 code points
     {"NotoSansMeroitic"},
     {{0x10980, 0x1099F}}},
    {"Miao",  // 76 code points
     {"NotoSansMiao"},
     {{0x16F00, 0x16F4A}, {0x16F50, 0x16F50}}},
    {"Modi",  // 59 code points
     {"NotoSansModi"},
     {{0x11600, 0x1162F}, {0x11644, 0x11644}, {0x11650, 0x11659}}},
    {"Mongolian",  // 138 code points
     {"NotoSansMongolian"},
     {{0x1810, 0x1819}, {0x1820, 0x1842}, {0x1844, 0x1878}, {0x1880, 0x1884}, {0x1887, 0x18A8},
      {0x18AA, 0x18AA}}},
    {"Mro",  // 41 code points
     {"NotoSansMro"},
     {{0x16A40, 0x16A5E}, {0x16A60, 0x16A69}}},
    {"Multani",  // 37 code points
     {"NotoSansMultani"},
     {{0x11280, 0x11286}, {0x11288, 0x11288}, {0x1128A, 0x1128D}, {0x1128F, 0x1129D}, {0x1129F, 0x112A8}}},
    {"Myanmar",  // 153 code points
     {"NotoSansMyanmar", "NotoSerifMyanmar"},
     {{0x1000, 0x102A}, {0x103F, 0x1049}, {0x1050, 0x1055}, {0x105A, 0x105D}, {0x1061, 0x1061},
      {0x1065, 0x1066}, {0x106E, 0x1070}, {0x1075, 0x1081}, {0x108E, 0x108E}, {0x1090, 0x1099},
      {0x109E, 0x109F}, {0xA9E0, 0xA9E4}, {0xA9E7, 0xA9FE}, {0xAA60, 0xAA6F}, {0xAA71, 0xAA7A},
      {0xAA7E, 0xAA7F}}},
    {"Nabataean",  // 40 code points
     {"NotoSansNabataean"},
     {{0x10880, 0x1089E}, {0x108A7, 0x108AF}}},
    {"New Tai Lue",  // 83 code points
     {"NotoSansNewTaiLue"},
     {{0x1980, 0x19AB}, {0x19B0, 0x19C9}, {0x19D0, 0x19DA}, {0x19DE, 0x19DF}}},
    {"Newa",  // 70 code points
     {"NotoSansNewa"},
     {{0x11400, 0x11434}, {0x11447, 0x1144A}, {0x11450, 0x11459}, {0x1145F, 0x11461}}},
    {"NKo",  // 44 code points
     {"NotoSansNKo"},
     {{0x07C0, 0x07EA}, {0x07F6, 0x07F6}}},
    {"Nushu",  // 396 code points
     {"NotoSansNushu", "NotoTraditionalNushu"},
     {{0x1B170, 0x1B2FB}}},
    {"Nyiakeng Puachue Hmong",  // 57 code points
     {"NotoSerifNyiakengPuachueHmong"},
     {{0x1E100, 0x1E12C}, {0x1E140, 0x1E149}, {0x1E14E, 0x1E14F}}},
    {"Ogham",  // 26 code points
     {"NotoSansOgham"},
     {{0x1681, 0x169A}}},
    {"Ol Chiki",  // 40 code points
     {"NotoSansOlChiki"},
     {{0x1C50, 0x1C77}}},
    {"Old Hungarian",  // 108 code points
     {"NotoSansOldHungarian"},
     {{0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x10CFA, 0x10CFF}}},
    {"Old Italic",  // 39 code points
     {"NotoSansOldItalic"},
     {{0x10300, 0x10323}, {0x1032D, 0x1032F}}},
    {"Old North Arabian",  // 32 code points
     {"NotoSansOldNorthArabian"},
     {{0x10A80, 0x10A9F}}},
    {"Old Permic",  // 38 code points
     {"NotoSansOldPermic"},
     {{0x10350, 0x10375}}},
    {"Old Persian",  // 49 code points
     {"NotoSansOldPersian"},
     {{0x103A0, 0x103C3}, {0x103C8, 0x103CF}, {0x103D1, 0x103D5}}},
    {"Old Sogdian",  // 40 code points
     {"NotoSansOldSogdian"},
     {{0x10F00, 0x10F27}}},
    {"Old South Arabian",  // 31 code points
     {"NotoSansOldSouthArabian"},
     {{0x10A60, 0x10A7E}}},
    {"Old Turkic",  // 73 code points
     {"NotoSansOldTurkic"},
     {{0x10C00, 0x10C48}}},
    {"Oriya",  // 70 code points
     {"NotoSansOriya"},
     {{0x0B05, 0x0B0C}, {0x0B0F, 0x0B10}, {0x0B13, 0x0B28}, {0x0B2A, 0x0B30}, {0x0B32, 0x0B33},
      {0x0B35, 0x0B39}, {0x0B3D, 0x0B3D}, {0x0B5C, 0x0B5D}, {0x0B5F, 0x0B61}, {0x0B66, 0x0B77}}},
    {"Osage",  // 72 code points
     {"NotoSansOsage"},
     {{0x104B0, 0x104D3}, {0x104D8, 0x104FB}}},
    {"Osmanya",  // 40 code points
     {"NotoSansOsmanya"},
     {{0x10480, 0x1049D}, {0x104A0, 0x104A9}}},
    {"Pahawh Hmong",  // 110 code points
     {"NotoSansPahawhHmong"},
     {{0x16B00, 0x16B2F}, {0x16B3C, 0x16B3F}, {0x16B45, 0x16B45}, {0x16B50, 0x16B59}, {0x16B5B, 0x16B61},
      {0x16B63, 0x16B77}, {0x16B7D, 0x16B8F}}},
    {"Palmyrene",  // 32 code points
     {"NotoSansPalmyrene"},
     {{0x10860, 0x1087F}}},
    {"Pau Cin Hau",  // 57 code points
     {"NotoSansPauCinHau"},
     {{0x11AC0, 0x11AF8}}},
    {"Phags-pa",  // 52 code points
     {"NotoSansPhagsPa"},
     {{0xA840, 0xA873}}},
    {"Phoenician",  // 28 code points
     {"NotoSansPhoenician"},
     {{0x10900, 0x1091B}}},
    {"Psalter Pahlavi",  // 25 code points
     {"NotoSansPsalterPahlavi"},
     {{0x10B80, 0x10B91}, {0x10BA9, 0x10BAF}}},
    {"Rejang",  // 23 code points
     {"NotoSansRejang"},
     {{0xA930, 0xA946}}},
    {"Runic",  // 86 code points
     {"NotoSansRunic"},
     {{0x16A0, 0x16EA}, {0x16EE, 0x16F8}}},
    {"Samaritan",  // 22 code points
     {"NotoSansSamaritan"},
     {{0x0800, 0x0815}}},
    {"Saurashtra",  // 60 code points
     {"NotoSansSaurashtra"},
     {{0xA882, 0xA8B3}, {0xA8D0, 0xA8D9}}},
    {"Sharada",  // 64 code points
     {"NotoSansSharada"},
     {{0x11183, 0x111B2}, {0x111C1, 0x111C4}, {0x111D0, 0x111DA}, {0x111DC, 0x111DC}}},
    {"Shavian",  // 48 code points
     {"NotoSansShavian"},
     {{0x10450, 0x1047F}}},
    {"Siddham",  // 51 code points
     {"NotoSansSiddham"},
     {{0x11580, 0x115AE}, {0x115D8, 0x115DB}}},
    {"SignWriting",  // 540 code points
     {"NotoSansSignWriting"},
     {{0x1D800, 0x1D9FF}, {0x1DA37, 0x1DA3A}, {0x1DA6D, 0x1DA74}, {0x1DA76, 0x1DA83}, {0x1DA85, 0x1DA86}}},
    {"Sinhala",  // 89 code points
     {"NotoSansSinhala", "NotoSerifSinhala"},
     {{0x0D85, 0x0D96}, {0x0D9A, 0x0DB1}, {0x0DB3, 0x0DBB}, {0x0DBD, 0x0DBD}, {0x0DC0, 0x0DC6},
      {0x0DE6, 0x0DEF}, {0x111E1, 0x111F4}}},
    {"Sogdian",  // 26 code points
     {"NotoSansSogdian"},
     {{0x10F30, 0x10F45}, {0x10F51, 0x10F54}}},
    {"Sora Sompeng",  // 35 code points
     {"NotoSansSoraSompeng"},
     {{0x110D0, 0x110E8}, {0x110F0, 0x110F9}}},
    {"Soyombo",  // 48 code points
     {"NotoSansSoyombo"},
     {{0x11A50, 0x11A50}, {0x11A5C, 0x11A89}, {0x11A9D, 0x11A9D}}},
    {"Sundanese",  // 48 code points
     {"NotoSansSundanese"},
     {{0x1B83, 0x1BA0}, {0x1BAE, 0x1BBF}}},
    {"Syloti Nagri",  // 36 code points
     {"NotoSansSylotiNagri"},
     {{0xA800, 0xA801}, {0xA803, 0xA805}, {0xA807, 0xA80A}, {0xA80C, 0xA822}, {0xA828, 0xA82B}}},
    {"Syriac",  // 45 code points
     {"NotoSansSyriac"},
     {{0x0710, 0x0710}, {0x0712, 0x072F}, {0x074D, 0x074F}, {0x0860, 0x086A}}},
    {"Tagalog",  // 19 code points
     {"NotoSansTagalog"},
     {{0x1700, 0x1711}, {0x171F, 0x171F}}},
    {"Tagbanwa",  // 16 code points
     {"NotoSansTagbanwa"},
     {{0x1760, 0x176C}, {0x176E, 0x1770}}},
    {"Tai Le",  // 35 code points
     {"NotoSansTaiLe"},
     {{0x1950, 0x196D}, {0x1970, 0x1974}}},
    {"Tai Tham",  // 73 code points
     {"NotoSansTaiTham"},
     {{0x1A20, 0x1A54}, {0x1A80, 0x1A89}, {0x1A90, 0x1A99}}},
    {"Tai Viet",  // 60 code points
     {"NotoSansTaiViet"},
     {{0xAA80, 0xAAAF}, {0xAAB1, 0xAAB1}, {0xAAB5, 0xAAB6}, {0xAAB9, 0xAABD}, {0xAAC0, 0xAAC0},
      {0xAAC2, 0xAAC2}, {0xAADB, 0xAADC}}},
    {"Takri",  // 54 code points
     {"NotoSansTakri"},
     {{0x11680, 0x116AA}, {0x116B8, 0x116B8}, {0x116C0, 0x116C9}}},
    {"Tamil",  // 103 code points
     {"NotoSansTamil", "NotoSerifTamil", "NotoSerifTamilSlanted"},
     {{0x0B83, 0x0B83}, {0x0B85, 0x0B8A}, {0x0B8E, 0x0B90}, {0x0B92, 0x0B95}, {0x0B99, 0x0B9A},
      {0x0B9C, 0x0B9C}, {0x0B9E, 0x0B9F}, {0x0BA3, 0x0BA4}, {0x0BA8, 0x0BAA}, {0x0BAE, 0x0BB9},
      {0x0BD0, 0x0BD0}, {0x0BE6, 0x0BF8}, {0x0BFA, 0x0BFA}, {0x11FC0, 0x11FDC}, {0x11FE1, 0x11FF1}}},
    {"Tangut",  // 6913 code points
     {"NotoSerifTangut"},
     {{0x17000, 0x187F7}, {0x18800, 0x18AFF}, {0x18D00, 0x18D08}}},
    {"Telugu",  // 75 code points
     {"NotoSansTelugu", "NotoSerifTelugu"},
     {{0x0C05, 0x0C0C}, {0x0C0E, 0x0C10}, {0x0C12, 0x0C28}, {0x0C2A, 0x0C39}, {0x0C3D, 0x0C3D},
      {0x0C58, 0x0C5A}, {0x0C5D, 0x0C5D}, {0x0C60, 0x0C61}, {0x0C66, 0x0C6F}, {0x0C78, 0x0C7F}}},
    {"Thaana",  // 39 code points
     {"NotoSansThaana"},
     {{0x0780, 0x07A5}, {0x07B1, 0x07B1}}},
    {"Thai",  // 65 code points
     {"NotoSansThai", "NotoSerifThai", "NotoLoopedThai"},
     {{0x0E01, 0x0E30}, {0x0E32, 0x0E32}, {0x0E40, 0x0E45}, {0x0E50, 0x0E59}}},
    {"Tibetan",  // 102 code points
     {"NotoSerifTibetan"},
     {{0x0F00, 0x0F03}, {0x0F13, 0x0F13}, {0x0F15, 0x0F17}, {0x0F1A, 0x0F34}, {0x0F36, 0x0F36},
      {0x0F38, 0x0F38}, {0x0F40, 0x0F47}, {0x0F49, 0x0F6C}, {0x0F88, 0x0F8C}, {0x0FBE, 0x0FC5},
      {0x0FC7, 0x0FCC}, {0x0FCE, 0x0FCF}}},
    {"Tifinagh",  // 56 code points
     {"NotoSansTifinagh", "NotoSansTifinaghAPT", "NotoSansTifinaghAdrar", "NotoSansTifinaghAgrawImazighen",
      "NotoSansTifinaghAhaggar", "NotoSansTifinaghAir", "NotoSansTifinaghAzawagh", "NotoSansTifinaghGhat",
      "NotoSansTifinaghHawad", "NotoSansTifinaghRhissaIxa", "NotoSansTifinaghSIL", "NotoSansTifinaghTawellemmet"},
     {{0x2D30, 0x2D67}}},
    {"Tirhuta",  // 61 code points
     {"NotoSansTirhuta"},
     {{0x11480, 0x114AF}, {0x114C4, 0x114C5}, {0x114C7, 0x114C7}, {0x114D0, 0x114D9}}},
    {"Ugaritic",  // 30 code points
     {"NotoSansUgaritic"},
     {{0x10380, 0x1039D}}},
    {"Vai",  // 296 code points
     {"NotoSansVai"},
     {{0xA500, 0xA60B}, {0xA610, 0xA62B}}},
    {"Wancho",  // 54 code points
     {"NotoSansWancho"},
     {{0x1E2C0, 0x1E2EB}, {0x1E2F0, 0x1E2F9}}},
    {"Warang Citi",  // 84 code points
     {"NotoSansWarangCiti"},
     {{0x118A0, 0x118F2}, {0x118FF, 0x118FF}}},
    {"Yezidi",  // 44 code points
     {"NotoSerifYezidi"},
     {{0x10E80, 0x10EA9}, {0x10EB0, 0x10EB1}}},
    {"Yi",  // 1219 code points
     {"NotoSansYi"},
     {{0xA000, 0xA014}, {0xA016, 0xA48C}, {0xA490, 0xA4C6}}},
    {"Zanabazar Square",  // 42 code points
     {"NotoSansZanabazarSquare"},
     {{0x11A00, 0x11A00}, {0x11A0B, 0x11A32}, {0x11A3A, 0x11A3A}}},
  };
  return table;
}

}  // namespace cz::data::detail
