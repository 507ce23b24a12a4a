"""What a VEP-annotated VCF must contain, and the VEP command that adds it.

The neoepitope pipeline needs Ensembl VEP's ``CSQ`` INFO field with the ``Frameshift`` and
``Wildtype`` plugins (McLaren et al., Genome Biology 17:122, 2016, doi:10.1186/s13059-016-0974-4;
plugins from the pVACtools project, Hundal et al., Cancer Immunol Res 8:409, 2020).
"""

from __future__ import annotations

#: VEP command line that produces every field the pipeline reads.
VEP_COMMAND = (
    "vep --input_file input.vcf --output_file annotated.vcf --format vcf --vcf "
    "--symbol --terms SO --tsl --biotype --hgvs --fasta Homo_sapiens.GRCh38.dna.fa "
    "--offline --cache --plugin Frameshift --plugin Wildtype --dir_plugins /path/to/VEP_plugins"
)

#: CSQ fields the pipeline needs; each must be named in the CSQ header Format string.
REQUIRED_CSQ_FIELDS: tuple[str, ...] = (
    "Allele",
    "Consequence",
    "Feature",
    "Protein_position",
    "Amino_acids",
    "WildtypeProtein",
)

#: Fields that some steps use when present (never located by position).
OPTIONAL_CSQ_FIELDS: tuple[str, ...] = (
    "SYMBOL",
    "Gene",
    "BIOTYPE",
    "Codons",
    "HGVSc",
    "HGVSp",
    "TSL",
    "FrameshiftSequence",
    "DownstreamProtein",
)

#: VEP consequence terms -> the pVACseq variant-type label used in epitopes.tsv.
CONSEQUENCE_CLASSES: tuple[tuple[str, str], ...] = (
    ("frameshift_variant", "FS"),
    ("stop_gained", "stop_gained"),
    ("inframe_insertion", "inframe_ins"),
    ("disruptive_inframe_insertion", "inframe_ins"),
    ("inframe_deletion", "inframe_del"),
    ("disruptive_inframe_deletion", "inframe_del"),
    ("protein_altering_variant", "protein_altering"),
    ("missense_variant", "missense"),
    ("stop_lost", "stop_lost"),
    ("start_lost", "start_lost"),
    ("synonymous_variant", "synonymous"),
)

#: Variant classes that count as non-synonymous coding for TMB.
NONSYNONYMOUS_CLASSES = frozenset(
    {
        "missense",
        "inframe_ins",
        "inframe_del",
        "FS",
        "stop_gained",
        "protein_altering",
        "stop_lost",
        "start_lost",
    }
)

#: Variant classes that yield class I neoepitope candidates.
EPITOPE_CLASSES = frozenset({"missense", "inframe_ins", "inframe_del", "FS", "protein_altering"})


def classify_consequence(consequence: str) -> str:
    """Map a VEP ``Consequence`` string (``&``-joined SO terms) to one variant class.

    The most severe protein-level term wins, in the order of :data:`CONSEQUENCE_CLASSES`;
    anything else (UTR, intron, splice, ...) is ``"other"``.
    """
    terms = set(consequence.split("&"))
    for term, label in CONSEQUENCE_CLASSES:
        if term in terms:
            return label
    return "other"


def missing_prerequisite_fix(what: str) -> str:
    """Fix text for a missing annotation: say what is missing and give the VEP command."""
    return f"annotate the VCF so that it has {what}, for example with:\n    {VEP_COMMAND}"
