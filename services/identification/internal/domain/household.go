// Package domain is the identification service's business logic: the household register, its rules and
// use cases. It knows nothing of gRPC or SQL; the api package adapts it to the wire and the store package
// persists it.
package domain

import (
	"time"
)

// Enumerations share their numbers with the API contract (fupin.identification.v1) so converting is a
// cast; TestEnumsMatchContract in the api package keeps them in step.

// Sex is 性别.
type Sex int32

// Sexes.
const (
	SexUnspecified Sex = iota
	SexMale            // 男
	SexFemale          // 女
)

// Relation is 与户主关系 (GB/T 4761).
type Relation int32

// Relations to the head.
const (
	RelationUnspecified   Relation = iota
	RelationHead                   // 户主
	RelationSpouse                 // 配偶
	RelationSon                    // 子
	RelationDaughter               // 女
	RelationGrandchild             // 孙子女
	RelationParent                 // 父母
	RelationGrandparent            // 祖父母
	RelationSibling                // 兄弟姐妹
	RelationChildInLaw             // 儿媳、女婿
	RelationOtherRelative          // 其他亲属
	RelationNonRelative            // 非亲属
)

// Education is 文化程度 (GB/T 4658).
type Education int32

// Health is 健康状况.
type Health int32

// Health conditions.
const (
	HealthUnspecified    Health = iota
	HealthHealthy               // 健康
	HealthChronicDisease        // 长期慢性病
	HealthSeriousIllness        // 大病
	HealthDisabled              // 残疾
)

// LabourAbility is 劳动技能.
type LabourAbility int32

// RegistryStatus is the household's place in the poverty registry.
type RegistryStatus int32

// Registry statuses.
const (
	RegistryUnspecified RegistryStatus = iota
	RegistryOrdinary                   // 一般户
	RegistryPoor                       // 贫困户
	RegistryExited                     // 已脱贫
	RegistryReturned                   // 返贫
)

// MonitoringType is the kind of 防返贫 monitoring object.
type MonitoringType int32

// Monitoring types.
const (
	MonitoringNone           MonitoringType = iota
	MonitoringUnstable                      // 脱贫不稳定户
	MonitoringMarginal                      // 边缘易致贫户
	MonitoringSuddenHardship                // 突发严重困难户
)

// MonitoringStatus says whether a monitored household's risk is open.
type MonitoringStatus int32

// Monitoring statuses.
const (
	MonitoringStatusNone        MonitoringStatus = iota
	MonitoringStatusOpen                         // 监测中
	MonitoringStatusRiskRemoved                  // 风险消除
)

// HouseholdState is whether a household record is in use.
type HouseholdState int32

// Household states.
const (
	HouseholdStateUnspecified HouseholdState = iota
	HouseholdActive                          // 在册
	HouseholdArchived                        // 已注销
)

// MemberState is whether a membership is current.
type MemberState int32

// Member states.
const (
	MemberStateUnspecified MemberState = iota
	MemberActive                       // 在户
	MemberDeceased                     // 死亡
	MemberMovedOut                     // 迁出
)

// Household is a registered household (户).
type Household struct {
	ID         string
	RegionCode string // 12-digit village or community code
	Address    string
	Number     string // 户编号, unique when set
	Urban      bool   // from the region's master data
	Members    []Member
	Status     Status
	History    []StatusChange // oldest first
	// Registered is the registration effective date (登记日期): the effective date of the first status
	// entry. No procedure about the household dates from before it (bizdate.NotBeforeRegistration).
	Registered string
	State      HouseholdState
	// ArchiveReason says why an archived household was closed.
	ArchiveReason string
	Version       int64
	CreateTime    time.Time
	UpdateTime    time.Time
}

// Status is a household's registry status and monitoring state, each with the date it took effect.
type Status struct {
	Registry         RegistryStatus
	RegistryDate     string
	ExitYear         int
	MonitoringType   MonitoringType
	MonitoringStatus MonitoringStatus
	MonitoringDate   string
}

// StatusChange is one dated entry of the status history.
type StatusChange struct {
	EffectiveDate    string
	Registry         RegistryStatus
	MonitoringType   MonitoringType
	MonitoringStatus MonitoringStatus
	Reason           string
	Actor            string
	RecordTime       time.Time
}

// Member is a person's membership in a household, with the person's attributes.
type Member struct {
	PersonID string
	Person
	Relation  Relation
	State     MemberState
	StartDate string
	EndDate   string
	EndReason string
}

// Person is a person's stable identity and attributes. The 身份证号 is stored only encrypted (IDCipher),
// with IDIndex (a keyed blind index) for lookup and matching and IDMasked for display; IDNumber holds the
// plain number only in memory, when it arrives in a request or is revealed to a caller allowed to see it.
type Person struct {
	FullName      string
	IDNumber      string
	IDCipher      []byte
	IDIndex       string
	IDMasked      string
	Sex           Sex
	BirthDate     string
	Ethnicity     string
	Education     Education
	Health        Health
	LabourAbility LabourAbility
}

// Current reports whether the membership has not ended.
func (m *Member) Current() bool { return m.State == MemberActive }

// Size is the number of current members (家庭人口).
func (h *Household) Size() int {
	n := 0
	for i := range h.Members {
		if h.Members[i].Current() {
			n++
		}
	}
	return n
}

// Head returns the current head, if any.
func (h *Household) Head() *Member {
	for i := range h.Members {
		if h.Members[i].Current() && h.Members[i].Relation == RelationHead {
			return &h.Members[i]
		}
	}
	return nil
}

// Member returns the membership of a person, if any.
func (h *Household) Member(personID string) *Member {
	for i := range h.Members {
		if h.Members[i].PersonID == personID {
			return &h.Members[i]
		}
	}
	return nil
}

// Etag is the household's AIP-154 etag: it changes whenever the record does.
func (h *Household) Etag() string { return etag(h.ID, h.Version) }

// Region is an entry of the region master data (行政区划).
type Region struct {
	Code        string
	Name        string
	Level       RegionLevel
	Urban       bool
	Parent      string
	Populations []Population
	ValidFrom   string
	ValidTo     string
}

// RegionLevel is a region's administrative level.
type RegionLevel int32

// Region levels.
const (
	LevelUnspecified RegionLevel = iota
	LevelCounty                  // 县
	LevelTownship                // 乡镇
	LevelVillage                 // 村/社区
)

// Population is a region's registered population in a year.
type Population struct {
	Year      int
	Residents int64
}
