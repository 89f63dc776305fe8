"""Name material for the demo shops: people as the shops' own customers write their names.

Burmese names are built from given-name syllables (written together, after an honorific that
follows age and gender); each syllable carries the romanization its owner would use in an email
address. Malaysian names follow the three communities' own patterns: Malay "bin/binti", Chinese
surname first, Indian "a/l" (son of) and "a/p" (daughter of).
"""

from __future__ import annotations

# (Unicode Burmese, romanized)
BURMESE_MALE = (
    ("အောင်", "Aung"),
    ("ကျော်", "Kyaw"),
    ("ဇော်", "Zaw"),
    ("မင်း", "Min"),
    ("ထွန်း", "Htun"),
    ("ဝင်း", "Win"),
    ("နိုင်", "Naing"),
    ("ဖြိုး", "Phyo"),
    ("သူ", "Thu"),
    ("လင်း", "Lin"),
    ("ထက်", "Htet"),
    ("ဟိန်း", "Hein"),
    ("ပိုင်", "Paing"),
    ("သိန်း", "Thein"),
    ("မြင့်", "Myint"),
    ("စိုး", "Soe"),
    ("လွင်", "Lwin"),
    ("ရဲ", "Ye"),
    ("ညီ", "Nyi"),
    ("ခန့်", "Khant"),
    ("ဟန်", "Han"),
    ("မျိုး", "Myo"),
    ("တင်", "Tin"),
    ("မိုး", "Moe"),
)
BURMESE_FEMALE = (
    ("သန္တာ", "Thandar"),
    ("ခင်", "Khin"),
    ("နီလာ", "Nilar"),
    ("မြင့်", "Myint"),
    ("စန္ဒာ", "Sandar"),
    ("နွယ်", "Nwe"),
    ("ဆု", "Hsu"),
    ("မြတ်", "Myat"),
    ("ချို", "Cho"),
    ("ယု", "Yu"),
    ("ဝေ", "Wai"),
    ("သီတာ", "Thida"),
    ("အေး", "Aye"),
    ("မာ", "Mar"),
    ("ဖူး", "Phoo"),
    ("ပွင့်", "Pwint"),
    ("မေ", "May"),
    ("ဇင်", "Zin"),
    ("သဇင်", "Thazin"),
    ("ယဉ်", "Yin"),
    ("ကြည်", "Kyi"),
    ("မိုး", "Moe"),
    ("ဖြူ", "Phyu"),
    ("သွယ်", "Thwe"),
)
TWO_SYLLABLES = {"Thandar", "Nilar", "Sandar", "Thida", "Thazin"}
# Honorifics by gender: (older, younger); "Ko" sits between the two for men in their thirties.
HONORIFIC_MALE = (("ဦး", "U"), ("ကို", "Ko"), ("မောင်", "Maung"))
HONORIFIC_FEMALE = (("ဒေါ်", "Daw"), ("မ", "Ma"))

# Typed on a phone with a Zawgyi font: the same letters in Zawgyi's code points and order.
# (Zawgyi text, the Unicode spelling it must be stored as, romanized)
ZAWGYI_TYPED = (
    ("ဦးေအာင္ေက်ာ္ျမင့္", "ဦးအောင်ကျော်မြင့်", "U Aung Kyaw Myint"),
    ("ေဒၚခင္သႏၱာႏြယ္", "ဒေါ်ခင်သန္တာနွယ်", "Daw Khin Thandar Nwe"),
    ("ေမာင္ၿဖိဳးေဇာ္ထက္", "မောင်ဖြိုးဇော်ထက်", "Maung Phyo Zaw Htet"),
    ("ေဒၚျမင့္ျမင့္ၾကည္", "ဒေါ်မြင့်မြင့်ကြည်", "Daw Myint Myint Kyi"),
    ("ဦးထြန္းထြန္းႏိုင္", "ဦးထွန်းထွန်းနိုင်", "U Htun Htun Naing"),
    ("ကိုေဇာ္မင္းထြန္း", "ကိုဇော်မင်းထွန်း", "Ko Zaw Min Htun"),
    ("မသီတာဝင္း", "မသီတာဝင်း", "Ma Thida Win"),
    ("ေဒၚေအးေအးခိုင္", "ဒေါ်အေးအေးခိုင်", "Daw Aye Aye Khaing"),
)

YANGON_TOWNSHIPS = (
    ("ဗဟန်း", "Bahan"),
    ("စမ်းချောင်း", "Sanchaung"),
    ("ကမာရွတ်", "Kamayut"),
    ("လှိုင်", "Hlaing"),
    ("ရန်ကင်း", "Yankin"),
    ("တာမွေ", "Tamwe"),
    ("မရမ်းကုန်း", "Mayangone"),
    ("သင်္ဃန်းကျွန်း", "Thingangyun"),
    ("လမ်းမတော်", "Lanmadaw"),
    ("ကျောက်တံတား", "Kyauktada"),
)
BAKERY_FAVOURITES = (
    "butter cake",
    "chicken puff",
    "egg tart",
    "coconut bun",
    "black forest cake",
    "custard bread",
    "sponge roll",
    "cream horn",
)
BAKERY_BUSINESSES = ("tea shop", "office canteen", "café", "school canteen", "hotel")

MALAY_MALE = (
    "Muhammad Hafiz",
    "Ahmad Faizal",
    "Mohd Amirul",
    "Muhammad Aiman",
    "Hakim",
    "Zulkifli",
    "Khairul Anuar",
    "Syed Azman",
    "Faris",
    "Iskandar",
    "Amir Hamzah",
    "Ikmal",
    "Firdaus",
    "Haziq",
    "Aidil",
    "Shahrul Nizam",
)
MALAY_FEMALE = (
    "Nurul Aisyah",
    "Siti Nurhaliza",
    "Nur Izzati",
    "Farah Nadia",
    "Nor Azlina",
    "Syafiqah",
    "Aminah",
    "Nurul Huda",
    "Intan Nabila",
    "Puteri Balqis",
    "Siti Khadijah",
    "Nur Amira",
    "Hidayah",
    "Aina Sofea",
    "Zarina",
)
MALAY_FATHERS = (
    "Ahmad",
    "Ismail",
    "Abdullah",
    "Hassan",
    "Abdul Rahman",
    "Osman",
    "Yusof",
    "Ibrahim",
    "Razak",
    "Hamid",
    "Mohd Noor",
    "Kamaruddin",
    "Salleh",
    "Zakaria",
)
CHINESE_SURNAMES = (
    "Tan",
    "Lim",
    "Lee",
    "Wong",
    "Ng",
    "Chong",
    "Teh",
    "Ong",
    "Goh",
    "Chan",
    "Yap",
    "Low",
    "Cheah",
    "Khoo",
    "Loh",
    "Foo",
)
CHINESE_GIVEN = (
    "Wei Ming",
    "Mei Ling",
    "Jia Hui",
    "Kah Wai",
    "Siew Lan",
    "Chee Keong",
    "Hui Min",
    "Kok Leong",
    "Pei Shan",
    "Zhi Hao",
    "Xin Yi",
    "Jun Jie",
    "Wai Kit",
    "Li Ying",
    "Boon Hock",
    "Sook Yee",
)
CHINESE_ENGLISH = ("Jason", "Michelle", "Kenny", "Vivian", "Daniel", "Joanne", "Alvin", "Grace")
INDIAN_MALE = (
    "Muthu",
    "Kumar",
    "Saravanan",
    "Ganesh",
    "Rajesh",
    "Suresh",
    "Prakash",
    "Arun",
    "Vinod",
    "Karthik",
)
INDIAN_FEMALE = (
    "Priya",
    "Kavitha",
    "Devi",
    "Lakshmi",
    "Shalini",
    "Revathi",
    "Anitha",
    "Malar",
    "Letchumi",
)
INDIAN_FATHERS = (
    "Rajan",
    "Subramaniam",
    "Krishnan",
    "Maniam",
    "Ramasamy",
    "Muniandy",
    "Arumugam",
    "Govindasamy",
    "Nadarajah",
    "Selvaraj",
)
KL_AREAS = (
    "Bangsar",
    "Mont Kiara",
    "Petaling Jaya",
    "Cheras",
    "Bukit Bintang",
    "Damansara",
    "Setapak",
    "Brickfields",
)
CAFE_USUALS = (
    "kopi-o kosong",
    "teh tarik kurang manis",
    "iced latte",
    "oat flat white",
    "Milo dinosaur",
    "cham peng",
    "kopi C",
    "matcha latte",
)
CAFE_COMPANIES = (
    "Maju Jaya Sdn Bhd",
    "Teknologi Awan Sdn Bhd",
    "Kedai Buku Rakyat",
    "Klinik Sihat",
)

# Visitors from the other shipped languages, typed in their own scripts: (name, romanized).
URDU_NAMES = (
    ("محمد علی", "Muhammad Ali"),
    ("عائشہ خان", "Ayesha Khan"),
    ("عمران احمد", "Imran Ahmed"),
    ("زینب حسین", "Zainab Hussain"),
    ("بلال اکرم", "Bilal Akram"),
    ("ثناء ملک", "Sana Malik"),
    ("حسن رضا", "Hassan Raza"),
    ("فاطمہ بی بی", "Fatima Bibi"),
)
LAO_NAMES = (
    ("ສົມສັກ ພົມມະວົງ", "Somsak Phommavong"),
    ("ຄຳຫຼ້າ ວົງໄຊ", "Khamla Vongsay"),
    ("ມະນີວັນ ຈັນທະວົງ", "Manivanh Chanthavong"),
    ("ນ້ອຍ ແກ້ວມະນີ", "Noy Keomany"),
    ("ສຸລິຍາ ສີຫາລາດ", "Souliya Sihalath"),
    ("ບົວພັນ ສີສຸວັນ", "Bouaphanh Sisouvanh"),
)

BAKERY_NOTES = (
    "သကြား နည်းနည်းပဲ ကြိုက်သည်။",
    "ဆိုင်ခွဲမှာ လာယူလေ့ရှိသည်။",
    "မွေးနေ့ကိတ်ကို တစ်ပတ်ကြိုမှာလေ့ရှိသည်။",
    "Prefers delivery before 8 am.",
    "Allergic to peanuts: no peanut toppings.",
    "Pays by KBZPay.",
    "Cake arrived late once; gave a free chicken puff on the next visit.",
    "Asked for an invoice with the company name for office orders.",
)
CAFE_NOTES = (
    "Suka kopi kurang manis.",
    "Selalu datang waktu pagi sebelum kerja.",
    "Alah kacang: no peanuts in anything.",
    "Asked about a corporate account for her team.",
    "Regular on Saturdays with the kids.",
    "Bayar guna DuitNow QR.",
    "Left a 5-star review; thanked her at the counter.",
    "Tanya pasal menu vegetarian.",
)
