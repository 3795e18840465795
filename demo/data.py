"""The demo data set: two invented cells, their directory and their accounts. Everything here is fictitious.

Phone numbers are in 02 61 91 xx xx, one of the blocks ARCEP sets aside for works of fiction, so a demo number can
never ring a real line. RPPS numbers begin with 19 (real ones begin with 10), see `loader.demo_rpps`. Names are common
French first and last names paired by position, and e-mails are at example.org.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import RequesterType, Role
from directory.models import Profession, ResourceKind, SiteKind, TeleconsultantTier

# Published on purpose: it opens only the demo accounts, and the command refuses to run outside a demo.
DEMO_PASSWORD = "demo-aiguillage-2026"  # noqa: S105

# INSEE codes (COG) of the communes the data below names.
ARGENTAN, GACE, L_AIGLE, VIMOUTIERS = "61006", "61181", "61214", "61508"
ECOUCHE, RAI, GOUFFERN, SAINT_SULPICE = "61153", "61342", "61474", "61456"
CLISSON, VALLET, LE_PALLET = "44043", "44212", "44117"


@dataclass(frozen=True)
class CellData:
    slug: str
    name: str
    phone: str  # professionals-only
    patient_phone: str  # given to patients
    email: str
    territory: str
    finess: str
    department: str
    # The territory is the `size` communes of `department` nearest to any hub; each commune's sector is its nearest
    # hub, which is how resources below say which communes they serve.
    hubs: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class SiteData:
    key: str  # stable handle for the rows below; the database key is (cell, name, commune)
    kind: str
    name: str
    insee: str
    address: str
    phone: str
    hours: str = ""
    sms_name: str = ""  # what patients' SMS call it when the full name is long


@dataclass(frozen=True)
class ProfessionalData:
    key: str
    profession: str
    sites: tuple[str, ...]
    tier: str = ""
    specialty: str = ""
    is_adherent: bool = True
    identifier: str = "rpps"  # "rpps", "adeli" (department 61) or "" (no health profession)
    name: tuple[str, str] | None = None  # (first, last); None takes the next pair of NAMES


@dataclass(frozen=True)
class ResourceData:
    kind: str
    name: str
    insee: str | None
    address: str
    phone: str
    hours: str
    served: tuple[str, ...] = ()  # hubs whose sectors it serves; () = the whole territory
    own_commune_only: bool = False
    notes: str = ""


@dataclass(frozen=True)
class AccountData:
    username: str
    cell: str  # slug
    role: str
    name: tuple[str, str] | None = None  # None: the linked professional's name
    requester_type: str = ""
    professional: str = ""  # ProfessionalData.key
    site: str = ""  # SiteData.key


ORNE = CellData(
    slug="orne-est",
    name="CSNP Orne-Est",
    phone="+33261910000",
    patient_phone="+33261910001",
    email="coordination@orne-est.example.org",
    territory="CPTS Orne-Est",
    finess="610999906",
    department="61",
    hubs=(ARGENTAN, GACE, L_AIGLE, VIMOUTIERS),
    size=60,
)
VIGNOBLE = CellData(
    slug="sud-loire-vignoble",
    name="CPTS Sud Loire Vignoble",
    phone="+33261910044",
    patient_phone="+33261910045",
    email="coordination@sud-loire-vignoble.example.org",
    territory="CPTS Sud Loire Vignoble",
    finess="440999902",
    department="44",
    hubs=(CLISSON, VALLET),
    size=20,
)
CELLS = (ORNE, VIGNOBLE)

FIRST_NAMES = (
    "Camille", "Julien", "Sophie", "Thomas", "Isabelle", "Nicolas", "Céline", "Mathieu", "Aurélie", "Sébastien",
    "Émilie", "Guillaume", "Nathalie", "Antoine", "Sandrine", "Florent", "Élodie", "Romain", "Laure", "Olivier",
    "Hélène", "Maxime", "Virginie",
)  # fmt: skip
LAST_NAMES = (
    "Lefèvre", "Moreau", "Girard", "Roux", "Fournier", "Morel", "Lambert", "Fontaine", "Rousseau", "Blanc",
    "Guérin", "Boyer", "Garnier", "Chevalier", "Legrand", "Gauthier", "Perrin", "Robin", "Morin", "Henry",
    "Roussel", "Masson", "Marchand", "Duval", "Dumont", "Lemaire", "Meunier", "Brun", "Blanchard", "Giraud",
    "Lebrun", "Leroy", "Lemonnier", "Hébert", "Lecourt", "Lesueur", "Letellier", "Levasseur", "Lecoq", "Vasseur",
    "Aubert",
)  # fmt: skip
# 23 and 41 are coprime, so pairing FIRST_NAMES[i % 23] with LAST_NAMES[i % 41] repeats no pair before i = 943.

PRACTICE_HOURS = "Lundi–vendredi 8:30–12:30 et 14:00–19:00 ; samedi 9:00–12:00"
PHARMACY_HOURS = "Lundi–samedi 9:00–12:30 et 14:00–19:30"
OFFICE_HOURS = "Lundi–vendredi 9:00–12:00 et 13:30–17:00"

SITES: dict[str, tuple[SiteData, ...]] = {
    ORNE.slug: (
        SiteData("msp-argentan", SiteKind.HEALTH_CENTRE, "Maison de santé pluriprofessionnelle du Pays d'Argentan",
                 ARGENTAN, "14 rue des Capucins", "+33261911001", PRACTICE_HOURS, sms_name="MSP d'Argentan"),
        SiteData("cab-argentan-gare", SiteKind.PRACTICE, "Cabinet médical de la Gare", ARGENTAN,
                 "3 avenue de la Gare", "+33261911002", PRACTICE_HOURS),
        SiteData("cab-argentan-orne", SiteKind.PRACTICE, "Cabinet médical des Bords d'Orne", ARGENTAN,
                 "27 quai de l'Orne", "+33261911003", PRACTICE_HOURS),
        SiteData("msp-aigle", SiteKind.HEALTH_CENTRE, "Maison de santé de la Risle", L_AIGLE,
                 "8 rue des Tanneurs", "+33261911004", PRACTICE_HOURS),
        SiteData("cab-aigle", SiteKind.PRACTICE, "Cabinet médical du Marché", L_AIGLE,
                 "2 place du Marché", "+33261911005", PRACTICE_HOURS),
        SiteData("cab-gace", SiteKind.PRACTICE, "Cabinet médical de Gacé", GACE,
                 "5 rue du Château", "+33261911006", PRACTICE_HOURS),
        SiteData("pole-vimoutiers", SiteKind.HEALTH_CENTRE, "Pôle de santé du Pays de Vimoutiers", VIMOUTIERS,
                 "11 rue du Pont", "+33261911007", PRACTICE_HOURS, sms_name="Pôle de santé"),
        SiteData("cab-ecouche", SiteKind.PRACTICE, "Cabinet médical d'Écouché", ECOUCHE,
                 "4 place de l'Église", "+33261911008", PRACTICE_HOURS),
        SiteData("cab-rai", SiteKind.PRACTICE, "Cabinet médical de Rai", RAI,
                 "1 rue de la Forge", "+33261911009", "Lundi, mardi, jeudi, vendredi 9:00–12:00 et 15:00–19:00"),
        SiteData("cab-gouffern", SiteKind.PRACTICE, "Cabinet médical de Gouffern", GOUFFERN,
                 "6 route d'Exmes", "+33261911010", PRACTICE_HOURS),
        SiteData("cab-saint-sulpice", SiteKind.PRACTICE, "Cabinet médical de Saint-Sulpice-sur-Risle", SAINT_SULPICE,
                 "9 rue de la Mairie", "+33261911011", "Lundi–vendredi 9:00–12:00 et 16:00–19:00"),
        SiteData("ph-gace", SiteKind.PHARMACY, "Pharmacie de Gacé", GACE,
                 "17 Grande Rue", "+33261911021", PHARMACY_HOURS),
        SiteData("ph-argentan-saint-martin", SiteKind.PHARMACY, "Pharmacie de la Place Saint-Martin", ARGENTAN,
                 "1 place Saint-Martin", "+33261911022", PHARMACY_HOURS),
        SiteData("ph-argentan-gare", SiteKind.PHARMACY, "Pharmacie de la Gare", ARGENTAN,
                 "10 avenue de la Gare", "+33261911023", PHARMACY_HOURS),
        SiteData("ph-aigle-risle", SiteKind.PHARMACY, "Pharmacie de la Risle", L_AIGLE,
                 "21 rue de Verneuil", "+33261911024", PHARMACY_HOURS),
        SiteData("ph-aigle-marche", SiteKind.PHARMACY, "Pharmacie du Marché", L_AIGLE,
                 "4 place du Marché", "+33261911025", PHARMACY_HOURS),
        SiteData("ph-vimoutiers", SiteKind.PHARMACY, "Pharmacie du Pays d'Auge", VIMOUTIERS,
                 "3 rue du Général-Leclerc", "+33261911026", PHARMACY_HOURS),
        SiteData("ch-argentan", SiteKind.HOSPITAL, "Centre hospitalier d'Argentan — urgences", ARGENTAN,
                 "2 rue de l'Hôpital", "+33261911031", "Urgences 24 h/24, 7 j/7"),
        SiteData("ch-aigle", SiteKind.HOSPITAL, "Centre hospitalier de L'Aigle — urgences", L_AIGLE,
                 "10 rue de l'Hôtel-Dieu", "+33261911032", "Urgences 24 h/24, 7 j/7"),
        SiteData("imagerie", SiteKind.RADIOLOGY, "Centre d'imagerie médicale d'Argentan", ARGENTAN,
                 "5 rue de l'Hôpital", "+33261911033", "Lundi–vendredi 8:00–19:00 ; samedi 8:00–12:00"),
        SiteData("labo", SiteKind.LABORATORY, "Laboratoire de biologie médicale de L'Aigle", L_AIGLE,
                 "15 rue Pasteur", "+33261911034", "Lundi–vendredi 7:30–18:30 ; samedi 8:00–12:00"),
        SiteData("kine-argentan", SiteKind.PHYSIOTHERAPY, "Cabinet de kinésithérapie d'Argentan", ARGENTAN,
                 "8 rue du Beigle", "+33261911035", "Lundi–vendredi 8:00–20:00"),
        SiteData("kine-gace", SiteKind.PHYSIOTHERAPY, "Cabinet de kinésithérapie de Gacé", GACE,
                 "2 rue de la Touques", "+33261911036", "Lundi–vendredi 8:30–19:30"),
        SiteData("idel-vimoutiers", SiteKind.NURSING, "Cabinet infirmier de Vimoutiers", VIMOUTIERS,
                 "6 rue du Moulin", "+33261911037", "Permanence au cabinet 7:30–8:30 ; soins à domicile 7 j/7"),
        SiteData("medicobus", SiteKind.MOBILE_UNIT, "Médicobus Orne-Est", ARGENTAN,
                 "Garage : parking du centre hospitalier", "+33261911038",
                 "Tournée hebdomadaire du lundi au vendredi, 1 à 2 arrêts par jour, jusqu'à 25 patients par arrêt"),
        SiteData("spot", SiteKind.TELEMEDICINE_SPOT, "Spot de télémédecine estival de Vimoutiers", VIMOUTIERS,
                 "Salle des associations, 2 place de la Mairie", "+33261911039",
                 "Du 15 juillet 14:00 au 31 août — lundi, mercredi, vendredi 14:00–18:00",
                 sms_name="Spot de télémédecine"),
        SiteData("sas61", SiteKind.OTHER, "SAS 61 — régulation libérale", ARGENTAN,
                 "Plateau de régulation, 2 rue de l'Hôpital", "+33261911040",
                 "Lundi–vendredi 8:00–20:00 ; samedi 8:00–12:00"),
    ),
    VIGNOBLE.slug: (
        SiteData("msp-clisson", SiteKind.HEALTH_CENTRE, "Maison de santé de Clisson", CLISSON,
                 "12 rue des Halles", "+33261912001", PRACTICE_HOURS),
        SiteData("cab-vallet", SiteKind.PRACTICE, "Cabinet médical de Vallet", VALLET,
                 "7 rue des Vignes", "+33261912002", PRACTICE_HOURS),
        SiteData("cab-pallet", SiteKind.PRACTICE, "Cabinet médical du Pallet", LE_PALLET,
                 "3 rue de la Sèvre", "+33261912003", PRACTICE_HOURS),
        SiteData("ph-vallet", SiteKind.PHARMACY, "Pharmacie du Vignoble", VALLET,
                 "1 place de l'Église", "+33261912011", PHARMACY_HOURS),
        SiteData("ph-clisson", SiteKind.PHARMACY, "Pharmacie des Halles", CLISSON,
                 "9 rue des Halles", "+33261912012", PHARMACY_HOURS),
    ),
}  # fmt: skip

# (practice, number of GPs releasing SNP slots there): 25 in Orne-Est, 5 in Sud Loire Vignoble.
ORNE_GP_PRACTICES = (
    ("msp-argentan", 4), ("cab-argentan-gare", 2), ("cab-argentan-orne", 2), ("msp-aigle", 4), ("cab-aigle", 2),
    ("cab-gace", 2), ("pole-vimoutiers", 3), ("cab-ecouche", 2), ("cab-rai", 1), ("cab-gouffern", 2),
    ("cab-saint-sulpice", 1),
)  # fmt: skip
VIGNOBLE_GP_PRACTICES = (("msp-clisson", 2), ("cab-vallet", 2), ("cab-pallet", 1))
NON_ADHERENT_GPS = frozenset({"gp-13", "gp-22"})  # a few GPs release slots without being CPTS members


def _gps(prefix: str, practices: tuple[tuple[str, int], ...]) -> list[ProfessionalData]:
    sites = [site for site, count in practices for _ in range(count)]
    return [
        ProfessionalData(
            f"{prefix}-{number:02d}",
            Profession.GP,
            (site,),
            specialty="Médecine générale",
            is_adherent=f"{prefix}-{number:02d}" not in NON_ADHERENT_GPS,
        )
        for number, site in enumerate(sites, start=1)
    ]


_LOCAL, _REGIONAL, _EXTRA = TeleconsultantTier.LOCAL, TeleconsultantTier.REGIONAL, TeleconsultantTier.EXTRA_TERRITORIAL
_IDEL_SITES = ("spot", "idel-vimoutiers")
_TRAINED = "Téléconsultation assistée (formation suivie)"

PROFESSIONALS: dict[str, list[ProfessionalData]] = {
    ORNE.slug: [
        *_gps("gp", ORNE_GP_PRACTICES),
        ProfessionalData("tc-01", Profession.GP, ("spot",), _LOCAL, "Téléconsultant — volontaire du territoire"),
        ProfessionalData("tc-02", Profession.GP, ("spot",), _LOCAL, "Téléconsultant — volontaire du territoire"),
        ProfessionalData("tc-03", Profession.GP, ("spot",), _LOCAL, "Téléconsultant — volontaire du territoire"),
        ProfessionalData("tc-04", Profession.GP, ("spot",), _REGIONAL, "Téléconsultant — pool régional normand"),
        ProfessionalData("tc-05", Profession.GP, ("spot",), _REGIONAL, "Téléconsultant — pool régional normand"),
        ProfessionalData("tc-06", Profession.GP, ("spot",), _REGIONAL, "Téléconsultant — pool régional normand"),
        ProfessionalData("tc-07", Profession.GP, ("spot",), _EXTRA, "Téléconsultant — hors région", False),
        ProfessionalData("tc-08", Profession.GP, ("spot",), _EXTRA, "Téléconsultant — hors région", False),
        ProfessionalData("idel-01", Profession.NURSE, _IDEL_SITES, specialty=_TRAINED),
        ProfessionalData("idel-02", Profession.NURSE, _IDEL_SITES, specialty=_TRAINED),
        ProfessionalData("idel-03", Profession.NURSE, _IDEL_SITES, specialty=_TRAINED),
        ProfessionalData("idel-04", Profession.NURSE, _IDEL_SITES, specialty=_TRAINED),
        ProfessionalData("idel-05", Profession.NURSE, _IDEL_SITES, specialty=_TRAINED),
        ProfessionalData("idel-06", Profession.NURSE, _IDEL_SITES, specialty=_TRAINED, identifier="adeli"),
        ProfessionalData("ph-01", Profession.PHARMACIST, ("ph-gace",), specialty="Titulaire"),
        ProfessionalData("ph-02", Profession.PHARMACIST, ("ph-gace",), specialty="Adjoint"),
        ProfessionalData("ph-03", Profession.PHARMACIST, ("ph-argentan-saint-martin",), specialty="Titulaire"),
        ProfessionalData("ph-04", Profession.PHARMACIST, ("ph-aigle-risle",), specialty="Titulaire"),
        ProfessionalData("radio-01", Profession.RADIOLOGIST, ("imagerie",), specialty="Radiologie et imagerie"),
        ProfessionalData("kine-01", Profession.PHYSIOTHERAPIST, ("kine-argentan",)),
        ProfessionalData("kine-02", Profession.PHYSIOTHERAPIST, ("kine-gace",)),
        ProfessionalData("bio-01", Profession.BIOLOGIST, ("labo",), specialty="Biologie médicale"),
        ProfessionalData("medicobus-doctor", Profession.GP, ("medicobus",), specialty="Médecin du Médicobus"),
        ProfessionalData("medicobus-assistant", Profession.MEDICAL_ASSISTANT, ("medicobus",),
                         specialty="Assistant médical du Médicobus", is_adherent=False, identifier=""),
    ],
    VIGNOBLE.slug: [
        *_gps("vgp", VIGNOBLE_GP_PRACTICES),
        ProfessionalData("vph-01", Profession.PHARMACIST, ("ph-vallet",), specialty="Titulaire"),
        ProfessionalData("vph-02", Profession.PHARMACIST, ("ph-clisson",), specialty="Titulaire"),
    ],
}  # fmt: skip
# The GP behind the `dr-martin` account: the only Martin of the data set.
NAMED_PROFESSIONALS = {"gp-01": ("Claire", "Martin")}

_ALL_SECTORS = ()
_ARGENTAN_SIDE = (ARGENTAN, GACE, VIMOUTIERS)
PHARMACY_ON_DUTY = "Tour de garde : la pharmacie ouverte est aussi donnée par le 3237."
RESOURCES: dict[str, tuple[ResourceData, ...]] = {
    ORNE.slug: (
        ResourceData(ResourceKind.PHARMACY, "Pharmacie de garde — secteur d'Argentan", ARGENTAN, "",
                     "+33261913001", "Nuits, dimanches et jours fériés", (ARGENTAN,), notes=PHARMACY_ON_DUTY),
        ResourceData(ResourceKind.PHARMACY, "Pharmacie de garde — secteur de L'Aigle", L_AIGLE, "",
                     "+33261913002", "Nuits, dimanches et jours fériés", (L_AIGLE,), notes=PHARMACY_ON_DUTY),
        ResourceData(ResourceKind.PHARMACY, "Pharmacie de garde — secteurs de Gacé et Vimoutiers", GACE, "",
                     "+33261913003", "Dimanches et jours fériés 9:00–12:30", (GACE, VIMOUTIERS),
                     notes=PHARMACY_ON_DUTY),
        ResourceData(ResourceKind.SOS_MEDECINS, "Visites médicales urgentes Orne-Est", ARGENTAN,
                     "Centrale d'appel, 4 rue du Beigle", "+33261913004",
                     "Nuits 20:00–8:00, week-ends et jours fériés",
                     notes="Visites à domicile, pour les patients qui ne peuvent pas se déplacer."),
        ResourceData(ResourceKind.DUTY_PRACTICE, "Maison médicale de garde d'Argentan", ARGENTAN,
                     "Centre hospitalier, entrée des urgences", "+33261913005",
                     "Lundi–vendredi 20:00–24:00 ; samedi 12:00–24:00 ; dimanche et jours fériés 8:00–24:00",
                     _ARGENTAN_SIDE, notes="Sur appel préalable du 15 ou de la cellule."),
        ResourceData(ResourceKind.DUTY_PRACTICE, "Maison médicale de garde de L'Aigle", L_AIGLE,
                     "Centre hospitalier, 10 rue de l'Hôtel-Dieu", "+33261913006",
                     "Samedi 12:00–20:00 ; dimanche et jours fériés 8:00–20:00", (L_AIGLE,)),
        ResourceData(ResourceKind.EMERGENCY, "Urgences du centre hospitalier d'Argentan", ARGENTAN,
                     "2 rue de l'Hôpital", "+33261913007", "24 h/24, 7 j/7", _ARGENTAN_SIDE),
        ResourceData(ResourceKind.EMERGENCY, "Urgences du centre hospitalier de L'Aigle", L_AIGLE,
                     "10 rue de l'Hôtel-Dieu", "+33261913008", "24 h/24, 7 j/7", (L_AIGLE, GACE)),
        ResourceData(ResourceKind.SAMU, "SAMU – Centre 15 de l'Orne", None, "", "", "24 h/24, 7 j/7",
                     notes="Urgence vitale : composer le 15 (ou le 112). Ce n'est pas du soin non programmé."),
        ResourceData(ResourceKind.DENTAL_DUTY, "Garde dentaire de l'Orne", ARGENTAN,
                     "Cabinet de garde désigné chaque semaine", "+33261913010",
                     "Dimanches et jours fériés 9:00–12:00", notes="Appeler pour connaître le cabinet de garde."),
        ResourceData(ResourceKind.SOCIAL_SERVICES, "CCAS d'Argentan", ARGENTAN, "Hôtel de ville, place du Marché",
                     "+33261913011", OFFICE_HOURS, own_commune_only=True),
        ResourceData(ResourceKind.SOCIAL_SERVICES, "CCAS de L'Aigle", L_AIGLE, "Hôtel de ville, place Fulbert",
                     "+33261913012", OFFICE_HOURS, own_commune_only=True),
        ResourceData(ResourceKind.SOCIAL_SERVICES, "CCAS de Gacé", GACE, "Mairie, place du Château",
                     "+33261913013", "Mardi et jeudi 9:00–12:00", own_commune_only=True),
        ResourceData(ResourceKind.SOCIAL_SERVICES, "CCAS de Vimoutiers", VIMOUTIERS, "Mairie, 2 place de la Mairie",
                     "+33261913014", "Lundi, mercredi, vendredi 9:00–12:00", own_commune_only=True),
        ResourceData(ResourceKind.SOCIAL_SERVICES, "CCAS d'Écouché-les-Vallées", ECOUCHE, "Mairie, place du Général",
                     "+33261913015", "Mercredi 14:00–17:00", own_commune_only=True),
        ResourceData(ResourceKind.CMP, "CMP adultes d'Argentan", ARGENTAN, "18 rue de la Chaussée",
                     "+33261913016", OFFICE_HOURS, _ARGENTAN_SIDE, notes="Premier rendez-vous infirmier sous 7 jours."),
        ResourceData(ResourceKind.CMP, "CMP adultes de L'Aigle", L_AIGLE, "5 rue des Emangeards",
                     "+33261913017", OFFICE_HOURS, (L_AIGLE,)),
        ResourceData(ResourceKind.CMP, "CMP enfants et adolescents d'Argentan", ARGENTAN, "20 rue de la Chaussée",
                     "+33261913018", OFFICE_HOURS, _ALL_SECTORS),
        ResourceData(ResourceKind.PMI, "PMI — centre médico-social d'Argentan", ARGENTAN, "9 rue Saint-Germain",
                     "+33261913019", OFFICE_HOURS, (ARGENTAN, GACE)),
        ResourceData(ResourceKind.PMI, "PMI — centre médico-social de L'Aigle", L_AIGLE, "3 rue Thiers",
                     "+33261913020", OFFICE_HOURS, (L_AIGLE, VIMOUTIERS)),
        ResourceData(ResourceKind.NURSING, "Permanence de soins infirmiers de Gacé", GACE, "7 rue de Lisieux",
                     "+33261913021", "Tous les jours 7:00–8:00 et 18:00–19:00", (GACE,)),
        ResourceData(ResourceKind.NURSING, "Centre de soins infirmiers de Vimoutiers", VIMOUTIERS,
                     "6 rue du Moulin", "+33261913022", "Tous les jours 7:30–19:30", (VIMOUTIERS,)),
        ResourceData(ResourceKind.OTHER_DOCTOR, "Consultations sans rendez-vous du pôle de santé de Vimoutiers",
                     VIMOUTIERS, "11 rue du Pont", "+33261913023", "Samedi 9:00–12:00", (VIMOUTIERS, GACE)),
        ResourceData(ResourceKind.OTHER_DOCTOR, "Consultations non programmées de la maison de santé de la Risle",
                     L_AIGLE, "8 rue des Tanneurs", "+33261913024", "Lundi–vendredi 17:00–19:00", (L_AIGLE,)),
        ResourceData(ResourceKind.OTHER, "Centre de vaccination d'Argentan", ARGENTAN, "2 rue de l'Hôpital",
                     "+33261913025", "Mercredi 13:30–17:00"),
        ResourceData(ResourceKind.OTHER, "Centre de santé sexuelle d'Argentan", ARGENTAN, "9 rue Saint-Germain",
                     "+33261913026", "Lundi et jeudi 13:30–17:30"),
        ResourceData(ResourceKind.OTHER, "CSAPA — consultation d'addictologie d'Argentan", ARGENTAN,
                     "12 rue de la Chaussée", "+33261913027", OFFICE_HOURS),
        ResourceData(ResourceKind.OTHER, "Maison des adolescents — antenne de L'Aigle", L_AIGLE, "3 rue Thiers",
                     "+33261913028", "Mercredi 10:00–18:00"),
        ResourceData(ResourceKind.OTHER, "SSIAD du Pays d'Argentan", ARGENTAN, "14 rue des Capucins",
                     "+33261913029", OFFICE_HOURS, (ARGENTAN, GACE),
                     notes="Soins infirmiers à domicile sur prescription ; délai d'admission variable."),
        ResourceData(ResourceKind.OTHER, "France Services de Gacé", GACE, "Mairie, place du Château",
                     "+33261913030", "Lundi–vendredi 9:00–12:00", (GACE, VIMOUTIERS),
                     notes="Aide aux droits : complémentaire santé solidaire, carte Vitale, médecin traitant."),
    ),
    VIGNOBLE.slug: (
        ResourceData(ResourceKind.PHARMACY, "Pharmacie de garde — secteur du Vignoble", VALLET, "",
                     "+33261914001", "Nuits, dimanches et jours fériés", notes=PHARMACY_ON_DUTY),
        ResourceData(ResourceKind.SAMU, "SAMU – Centre 15 de Loire-Atlantique", None, "", "", "24 h/24, 7 j/7",
                     notes="Urgence vitale : composer le 15 (ou le 112)."),
        ResourceData(ResourceKind.SOCIAL_SERVICES, "CCAS de Clisson", CLISSON, "Mairie, place du Minage",
                     "+33261914003", OFFICE_HOURS, own_commune_only=True),
    ),
}  # fmt: skip

# The teleconsultant Sud Loire Vignoble shares with Orne-Est (demo/pools.py makes her, past the loader's numbering).
POOL_TELECONSULTANT = "tc-pool"

ACCOUNTS = (
    AccountData("coordination", ORNE.slug, Role.COORDINATOR, ("Manon", "Hamel")),
    AccountData("superviseur", ORNE.slug, Role.SUPERVISOR, professional="gp-02"),
    AccountData("dr-martin", ORNE.slug, Role.EFFECTOR, professional="gp-01"),
    AccountData("pharmacie-gace", ORNE.slug, Role.REQUESTER, requester_type=RequesterType.PHARMACIST,
                professional="ph-01", site="ph-gace"),
    AccountData("sas61", ORNE.slug, Role.REQUESTER, ("Régis", "Anquetil"), RequesterType.SAS_REGULATOR,
                site="sas61"),
    AccountData("medecin-gace", ORNE.slug, Role.REQUESTER, requester_type=RequesterType.GP, professional="gp-15",
                site="cab-gace"),
    AccountData("admin-orne", ORNE.slug, Role.CELL_ADMIN, ("Pascale", "Durel")),
    AccountData("idel-cabourg", ORNE.slug, Role.EFFECTOR, professional="idel-01"),
    AccountData("teleconsultant", ORNE.slug, Role.EFFECTOR, professional="tc-01"),
    AccountData("coordination-vignoble", VIGNOBLE.slug, Role.COORDINATOR, ("Anaïs", "Guérineau")),
    AccountData("admin-vignoble", VIGNOBLE.slug, Role.CELL_ADMIN, ("Yann", "Riou")),
    # Her appointments page lists those Orne-Est books on her times, with "Booked by" that cell (demo/pools.py).
    AccountData("teleconsultante-regionale", VIGNOBLE.slug, Role.EFFECTOR, professional=POOL_TELECONSULTANT),
    # One login for two cells (a regional platform's coordinator): lands on what waits in each, switches in the header.
    AccountData("coordination-regionale", ORNE.slug, Role.COORDINATOR, ("Élise", "Marchadour")),
    AccountData("coordination-regionale", VIGNOBLE.slug, Role.COORDINATOR, ("Élise", "Marchadour")),
)  # fmt: skip
