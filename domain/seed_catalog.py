"""The demo catalog the seed loads: a small Brazilian ISP's offers, TV line-up and settings.

Plain data, so the seed's generator stays readable; every row gets its id from its position.
"""

from __future__ import annotations

from domain.models.enums import (
    BillingType,
    InactiveReason,
    PaymentMethod,
    PlanStatus,
    RegistrationCondition,
    ServiceKind,
    StartDateRule,
)

K = ServiceKind
INTERNET = (K.EMAIL, K.EMAIL_ALIAS, K.RADIUS_LOGIN, K.EXTRA_SERVICE, K.ANTIVIRUS)

# name, price, download/upload Mbps, allowed kinds, requires domain, TV package name or None,
# allows speed restoration, initial status, initial inactive reason, IP pool name or None
OFFERS: list[tuple] = [
    (
        "Fibra 100 Mega",
        "89.90",
        100,
        50,
        INTERNET,
        False,
        None,
        True,
        PlanStatus.ACTIVE,
        None,
        None,
    ),
    (
        "Fibra 300 Mega",
        "109.90",
        300,
        150,
        (*INTERNET, K.ONU, K.VOICE_TERMINAL),
        False,
        None,
        True,
        PlanStatus.ACTIVE,
        None,
        None,
    ),
    (
        "Fibra 600 Mega",
        "139.90",
        600,
        300,
        (*INTERNET, K.ONU, K.IP, K.VOICE_TERMINAL),
        False,
        None,
        True,
        PlanStatus.ACTIVE,
        None,
        "Clientes Fibra",
    ),
    (
        "Fibra 1 Giga + Fixo",
        "199.90",
        1000,
        500,
        (*INTERNET, K.ONU, K.IP, K.VOICE_TERMINAL, K.DOMAIN),
        False,
        None,
        True,
        PlanStatus.ACTIVE,
        None,
        "Clientes Fibra",
    ),
    (
        "Combo Fibra 300 + TV Essencial",
        "169.90",
        300,
        150,
        (*INTERNET, K.ONU),
        False,
        "TV Essencial",
        True,
        PlanStatus.ACTIVE,
        None,
        None,
    ),
    (
        "Combo Fibra 600 + TV Completa",
        "229.90",
        600,
        300,
        (*INTERNET, K.ONU, K.VOICE_TERMINAL),
        False,
        "TV Completa",
        True,
        PlanStatus.ACTIVE,
        None,
        None,
    ),
    (
        "Empresarial Link Dedicado 200",
        "899.00",
        200,
        200,
        (
            K.EMAIL,
            K.EMAIL_ALIAS,
            K.RADIUS_LOGIN,
            K.IP,
            K.CIRCUIT,
            K.DOMAIN,
            K.EXTRA_SERVICE,
            K.ANTIVIRUS,
            K.VOICE_TERMINAL,
        ),
        True,
        None,
        False,
        PlanStatus.ACTIVE,
        None,
        "Empresas Dedicado",
    ),
    (
        "Fibra Rural 50 Mega",
        "79.90",
        50,
        25,
        (K.RADIUS_LOGIN, K.EMAIL, K.ONU, K.EXTRA_SERVICE),
        False,
        None,
        False,
        PlanStatus.INACTIVE,
        InactiveReason.AWAITING_INSTALLATION,
        None,
    ),
]

# name, value, is extra
TV_PACKAGES: list[tuple[str, str, bool]] = [
    ("TV Essencial", "0.00", False),
    ("TV Completa", "0.00", False),
    ("Telecine", "39.90", True),
    ("HBO Max", "34.90", True),
    ("Esportes Premium", "59.90", True),
    ("Infantil Plus", "14.90", True),
]

# family -> channel names (numbers are given in order)
CHANNEL_FAMILIES: dict[str, list[str]] = {
    "Abertos": [
        "Globo",
        "SBT",
        "Record",
        "Band",
        "RedeTV!",
        "TV Cultura",
        "TV Brasil",
        "Canal Futura",
    ],
    "Notícias": [
        "GloboNews",
        "CNN Brasil",
        "BandNews",
        "Record News",
        "Jovem Pan News",
        "BBC World News",
    ],
    "Esportes": [
        "SporTV",
        "SporTV 2",
        "SporTV 3",
        "ESPN",
        "ESPN 2",
        "ESPN 3",
        "Premiere",
        "Combate",
        "Band Sports",
    ],
    "Filmes e Séries": [
        "Telecine Premium",
        "Telecine Action",
        "Telecine Pipoca",
        "Telecine Cult",
        "HBO",
        "HBO 2",
        "HBO Family",
        "Warner",
        "TNT",
        "Universal",
        "AXN",
        "Sony",
    ],
    "Infantil": [
        "Cartoon Network",
        "Discovery Kids",
        "Gloob",
        "Gloobinho",
        "Nickelodeon",
        "Disney Junior",
    ],
    "Documentários": [
        "Discovery Channel",
        "History",
        "National Geographic",
        "Animal Planet",
        "Discovery Science",
    ],
    "Variedades": [
        "GNT",
        "Multishow",
        "Viva",
        "Canal Brasil",
        "TLC",
        "Food Network",
        "HGTV",
        "Lifetime",
    ],
}

# package -> families it carries (a family listed with names keeps only those channels)
PACKAGE_FAMILIES: dict[str, list[str]] = {
    "TV Essencial": ["Abertos", "Notícias", "Infantil"],
    "TV Completa": ["Abertos", "Notícias", "Infantil", "Documentários", "Variedades"],
    "Telecine": ["Filmes e Séries:Telecine"],
    "HBO Max": ["Filmes e Séries:HBO"],
    "Esportes Premium": ["Esportes"],
    "Infantil Plus": ["Infantil"],
}

TV_POINT_LOCATIONS = ["Sala", "Quarto 1", "Quarto 2", "Cozinha", "Escritório"]

# name, default value, billing type, start date rule
EXTRA_SERVICES: list[tuple[str, str, BillingType, StartDateRule]] = [
    ("Instalação de ponto adicional", "120.00", BillingType.INSTALLMENTS, StartDateRule.TODAY),
    ("Roteador Wi-Fi 6 (comodato)", "15.00", BillingType.MONTHLY, StartDateRule.NEXT_DUE_DATE),
    ("Visita técnica", "80.00", BillingType.ONE_TIME, StartDateRule.TODAY),
    ("Mudança de endereço", "150.00", BillingType.INSTALLMENTS, StartDateRule.TODAY),
    ("IP fixo adicional", "30.00", BillingType.MONTHLY, StartDateRule.FIRST_DAY_NEXT_MONTH),
    ("Cabeamento estruturado", "350.00", BillingType.INSTALLMENTS, StartDateRule.TODAY),
]

CONTRACT_TEMPLATES = [
    (
        "Contrato de Prestação de Serviços - Pessoa Física",
        "CONTRATO Nº {contract_number}\nCONTRATANTE: {customer_name}, CPF {document}\n"
        "PLANO: {offer_name} - R$ {price}/mês\nVIGÊNCIA: {validity_months} meses a partir de "
        "{sale_date}.\nTAXA DE INSTALAÇÃO: R$ {installation_fee} em {installments}x.",
    ),
    (
        "Contrato de Prestação de Serviços - Pessoa Jurídica",
        "CONTRATO Nº {contract_number}\nCONTRATANTE: {customer_name}, CNPJ {document}\n"
        "SERVIÇO: {offer_name} - R$ {price}/mês\nVIGÊNCIA: {validity_months} meses a partir de "
        "{sale_date}.\nTAXA DE INSTALAÇÃO: R$ {installation_fee} em {installments}x.",
    ),
]

# name, payment method, closing day, min days between restorations, max days overdue
BILLING_FORMS = [
    ("Boleto bancário", PaymentMethod.BOLETO, 20, 30, 60),
    ("Cartão de crédito recorrente", PaymentMethod.CREDIT_CARD, 25, 30, 30),
    ("Débito em conta corrente", PaymentMethod.BANK_DEBIT, 20, 30, 45),
    ("Débito na conta telefônica", PaymentMethod.PHONE_BILL_DEBIT, 15, 30, 45),
]

BANKS = [
    ("001", "Banco do Brasil"),
    ("033", "Santander"),
    ("104", "Caixa Econômica Federal"),
    ("237", "Bradesco"),
    ("341", "Itaú Unibanco"),
    ("260", "Nu Pagamentos"),
]

IP_POOLS = [
    ("Clientes Fibra", "177.54.144.0/20", "177.54.144.1"),
    ("Empresas Dedicado", "200.142.96.0/21", "200.142.96.1"),
]

ROLES = ["Técnico de campo", "Instalador", "Supervisor técnico"]
TECHNICIANS = [
    ("Carlos Pereira", 0),
    ("Marcos Souza", 0),
    ("Juliana Lima", 0),
    ("Rafael Alves", 1),
    ("Bruno Costa", 1),
    ("Fernanda Rocha", 1),
    ("André Martins", 2),
    ("Patrícia Gomes", 0),
]

SYSTEM_VARIABLES = [
    ("auto_generate_radius_login", "true", "Gera Login Automático para Novo Plano de Cliente"),
    ("radius_login_pattern", "{first_name}.{plan_id}", "Pattern of generated RADIUS logins"),
    ("temporary_speed_restoration_days", "3", "Days a temporary speed restoration lasts"),
    ("temporary_enablement_days", "3", "Days a temporary enablement lasts"),
    ("email_domain", "provedor.net.br", "Domain of the ISP's mailboxes"),
    ("billing_horizon_days", "60", "Billing runs refuse due dates further ahead than this"),
]

REGISTRATION_RULES = [
    (
        "Cliente deve ter CPF",
        RegistrationCondition.CUSTOMER_HAS_CPF,
        "Pessoa física sem CPF válido: complete o cadastro antes de finalizar o plano.",
    ),
    (
        "Cliente deve ter e-mail",
        RegistrationCondition.CUSTOMER_HAS_EMAIL,
        "Informe um e-mail do cliente antes de finalizar o plano.",
    ),
    (
        "Cliente deve ter telefone",
        RegistrationCondition.CUSTOMER_HAS_PHONE,
        "Informe um telefone do cliente antes de finalizar o plano.",
    ),
    (
        "Cliente sem débitos vencidos",
        RegistrationCondition.NO_OVERDUE_RECEIVABLES,
        "O cliente tem contas vencidas: regularize antes de finalizar o plano.",
    ),
]

SMS_CREDIT_VALUES = [(100, "15.00"), (500, "65.00"), (1000, "120.00"), (5000, "550.00")]

FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Carla",
    "Daniel",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Heitor",
    "Isabela",
    "João",
    "Karina",
    "Lucas",
    "Mariana",
    "Nicolas",
    "Olívia",
    "Pedro",
    "Quitéria",
    "Rafael",
    "Sofia",
    "Thiago",
    "Úrsula",
    "Vinícius",
    "Wagner",
    "Yasmin",
    "Zeca",
    "Beatriz",
    "Caio",
    "Débora",
    "Enzo",
    "Fabiana",
    "Gustavo",
    "Helena",
    "Igor",
    "Júlia",
    "Leonardo",
    "Manuela",
    "Otávio",
    "Paula",
    "Renato",
    "Tatiane",
]
SURNAMES = [
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Lopes",
    "Soares",
    "Fernandes",
    "Vieira",
    "Barbosa",
    "Rocha",
    "Dias",
    "Nascimento",
    "Andrade",
    "Moreira",
    "Nunes",
    "Marques",
    "Machado",
    "Mendes",
    "Freitas",
]
COMPANY_WORDS = [
    "Comercial",
    "Distribuidora",
    "Padaria",
    "Mercado",
    "Auto Peças",
    "Construtora",
    "Clínica",
    "Escritório Contábil",
    "Farmácia",
    "Transportadora",
    "Restaurante",
    "Hotel",
    "Papelaria",
    "Academia",
    "Oficina",
]
COMPANY_SUFFIXES = ["Ltda", "ME", "EIRELI", "S.A.", "Ltda - EPP"]

# city, state, CEP prefix (5 digits), districts
CITIES = [
    ("São Paulo", "SP", "01310", ["Bela Vista", "Pinheiros", "Mooca", "Santana", "Tatuapé"]),
    ("Campinas", "SP", "13010", ["Centro", "Cambuí", "Taquaral", "Barão Geraldo"]),
    ("Curitiba", "PR", "80010", ["Centro", "Batel", "Água Verde", "Portão"]),
    ("Florianópolis", "SC", "88010", ["Centro", "Trindade", "Itacorubi", "Estreito"]),
    ("Porto Alegre", "RS", "90010", ["Centro Histórico", "Moinhos de Vento", "Menino Deus"]),
    ("Belo Horizonte", "MG", "30110", ["Savassi", "Funcionários", "Pampulha", "Buritis"]),
    ("Rio de Janeiro", "RJ", "20010", ["Centro", "Tijuca", "Botafogo", "Copacabana"]),
    ("Salvador", "BA", "40010", ["Comércio", "Barra", "Pituba", "Itapuã"]),
    ("Recife", "PE", "50010", ["Boa Vista", "Boa Viagem", "Casa Forte"]),
    ("Goiânia", "GO", "74003", ["Setor Central", "Setor Bueno", "Setor Marista"]),
    ("Londrina", "PR", "86010", ["Centro", "Gleba Palhano", "Jardim Higienópolis"]),
    ("Joinville", "SC", "89201", ["Centro", "América", "Glória", "Bucarein"]),
]
STREETS = [
    "Rua das Flores",
    "Avenida Brasil",
    "Rua XV de Novembro",
    "Rua Sete de Setembro",
    "Avenida Paulista",
    "Rua Tiradentes",
    "Rua Dom Pedro II",
    "Avenida Getúlio Vargas",
    "Rua Santos Dumont",
    "Rua Marechal Deodoro",
    "Avenida das Américas",
    "Rua Barão do Rio Branco",
    "Rua Voluntários da Pátria",
    "Travessa São José",
]
CONTACT_ROLES = ["Titular", "Cônjuge", "Responsável financeiro", "Gerente", "TI", "Recepção"]
TICKET_TYPES = [
    "Sem conexão",
    "Lentidão",
    "Financeiro",
    "Mudança de endereço",
    "Sinal de TV",
    "Cancelamento",
    "Dúvida",
]
TICKET_TEXTS = [
    "Cliente relata queda de conexão à noite.",
    "Solicita segunda via do boleto.",
    "Canais da TV travando na sala.",
    "Velocidade abaixo do contratado no Wi-Fi.",
    "Deseja transferir o plano para novo endereço.",
    "Pergunta sobre os pacotes extras de TV.",
]
OLTS = ["OLT-CENTRO-01", "OLT-NORTE-02", "OLT-SUL-01", "OLT-LESTE-03"]
NAS = ["10.0.0.1", "10.0.0.2", "10.0.1.1"]
# The demo's NAS answer Disconnect-Requests through `gateway simulate nas` on the loopback.
NAS_SECRET = "demo-radius-secret"
NAS_COA = ("127.0.0.1", 3799)
TERMINATE_CAUSES = ["User-Request", "Lost-Carrier", "Idle-Timeout", "Session-Timeout", "NAS-Reboot"]

VOICE_RESELLERS = [("VoxTel Revenda Ltda", "VoxTel"), ("Conecta PABX Ltda", "Conecta")]
